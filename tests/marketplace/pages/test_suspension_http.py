"""Suspension on the pages over HTTP: the operator's organisations page suspends (a reason
required) and reinstates; a suspended supplier's offers show on the catalog and the asset page
as not available, without a Buy button and without the suspension's reason."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party, operator, party
from tests.marketplace.identity.helpers import OPERATOR_EMAIL
from tests.marketplace.pages.conftest import World
from tests.marketplace.pages.test_sessions import csrf_of, sign_in

PAGE = "/operator/organizations"
REASON = "chargebacks on stolen cards"
FLAG = "not available: supplier suspended"


@pytest.fixture
def ops(api: TestClient, page_runtime: Runtime) -> Party:
    return operator(api, page_runtime)


def _post(api: TestClient, action: str, data: dict[str, Any]) -> Any:
    token = csrf_of(api.get(PAGE).text)
    return api.post(action, data={**data, "csrf_token": token}, follow_redirects=False)


def _shown(api: TestClient, ops: Party, who: Party) -> tuple[bool, str | None]:
    listed = api.get("/organizations", headers=ops.headers).json()["items"]
    (org,) = [o for o in listed if o["id"] == who.organization_id]
    return org["suspended"], org["suspension_reason"]


def test_an_operator_suspends_with_a_reason_and_reinstates_from_the_page(
    api: TestClient,
    ops: Party,
) -> None:
    target = party(api, "sly@fraud.test", "Sly Trading", ["buyer"])
    sign_in(api, OPERATOR_EMAIL)
    org = target.organization_id
    assert f'action="/operator/organizations/{org}/suspend"' in api.get(PAGE).text
    # The operator's own organisation offers no suspension.
    assert f'action="/operator/organizations/{ops.organization_id}/suspend"' not in (
        api.get(PAGE).text
    )

    blank = _post(api, f"{PAGE}/{org}/suspend", {"reason": "   "})
    assert blank.status_code == 400
    assert "give the reason for the suspension" in blank.text
    assert _shown(api, ops, target) == (False, None)

    done = _post(api, f"{PAGE}/{org}/suspend", {"reason": REASON})
    assert done.status_code == 303
    assert _shown(api, ops, target) == (True, REASON)
    assert api.get("/me", headers=target.headers).json()["error"] == "token_revoked"
    listed = api.get(PAGE).text
    assert REASON in listed
    assert f'action="/operator/organizations/{org}/reinstate"' in listed
    again = _post(api, f"{PAGE}/{org}/suspend", {"reason": REASON})
    assert again.status_code == 409
    assert "is already suspended" in again.text

    back = _post(api, f"{PAGE}/{org}/reinstate", {})
    assert back.status_code == 303
    assert _shown(api, ops, target) == (False, None)
    twice = _post(api, f"{PAGE}/{org}/reinstate", {})
    assert twice.status_code == 409
    assert f"organisation {org} is not suspended" in twice.text


def test_a_suspended_suppliers_offers_show_not_available_on_the_catalog(
    api: TestClient, world: World
) -> None:
    assert FLAG not in api.get("/catalog").text
    assert 'class="btn btn-primary buy"' in api.get(f"/catalog/{world.fruit_id}").text
    r = api.post(
        f"/organizations/{world.supplier.organization_id}/suspend",
        json={"reason": REASON},
        headers=world.operator.headers,
    )
    assert r.status_code == 200, r.text

    catalog = api.get("/catalog").text
    asset = api.get(f"/catalog/{world.fruit_id}").text
    assert FLAG in catalog
    assert FLAG in asset
    assert "It can be bought again once they reinstate the supplier." in asset
    assert 'class="btn btn-primary buy"' not in asset
    assert REASON not in catalog + asset
