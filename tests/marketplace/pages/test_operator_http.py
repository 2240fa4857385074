"""The operator's pages over HTTP: the review queue and its checklist form, organisation
verification and roles, the arbitrator pool, fees and health; each refuses other roles, and a
refused form changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from ledger.models import JournalEntry
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import CSV, Party, create, operator, party, upload, verify
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD
from tests.marketplace.pages.test_sessions import csrf_of, sign_in

SUPPLIER_EMAIL = "sam@supplier.test"


@pytest.fixture
def ops(api: TestClient, page_runtime: Runtime) -> Party:
    return operator(api, page_runtime)


@pytest.fixture
def supplier(api: TestClient, ops: Party) -> Party:
    who = party(api, SUPPLIER_EMAIL, "Sam Supplies", ["supplier"])
    verify(api, ops, who)
    return who


@pytest.fixture
def submitted(api: TestClient, supplier: Party) -> int:
    asset_id = int(create(api, supplier, title="Harbour traffic")["id"])
    assert upload(api, supplier, asset_id, CSV).status_code == 201
    r = api.post(f"/assets/{asset_id}/submit", json={}, headers=supplier.headers)
    assert r.status_code == 200, r.text
    return asset_id


def _journal_kinds(runtime: Runtime) -> list[str]:
    with Session(runtime.engine) as s:
        return list(s.exec(select(JournalEntry.kind).order_by(col(JournalEntry.seq))).all())


def _post(api: TestClient, page: str, action: str, data: dict[str, Any]) -> Any:
    token = csrf_of(api.get(page).text)
    return api.post(action, data={**data, "csrf_token": token}, follow_redirects=False)


ALL_TICKED = {
    "authority": "on",
    "personal_information": "on",
    "classification": "on",
    "metadata_complete": "on",
}


def test_the_queue_lists_submitted_assets_and_approving_certifies_one(
    api: TestClient, ops: Party, submitted: int
) -> None:
    sign_in(api, OPERATOR_EMAIL)
    queue = api.get("/operator/reviews")
    assert queue.status_code == 200
    assert "Harbour traffic" in queue.text
    assert f'href="/operator/reviews/{submitted}"' in queue.text

    form = api.get(f"/operator/reviews/{submitted}")
    assert "The supplier has the authority to supply this data" in form.text
    r = _post(
        api,
        f"/operator/reviews/{submitted}",
        f"/operator/reviews/{submitted}",
        {**ALL_TICKED, "decision": "approved", "authority_note": "contract on file"},
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/operator/reviews"
    asset = api.get(f"/assets/{submitted}", headers=ops.headers).json()
    assert asset["status"] == "approved"
    assert asset["certified_revision"] == 1
    assert "Harbour traffic" not in api.get("/operator/reviews").text
    reviews = api.get(f"/assets/{submitted}/reviews", headers=ops.headers).json()
    assert reviews[0]["checklist"]["authority"] == {"passed": True, "note": "contract on file"}


def test_approving_with_an_unticked_item_shows_the_api_message_and_changes_nothing(
    api: TestClient, page_runtime: Runtime, ops: Party, submitted: int
) -> None:
    sign_in(api, OPERATOR_EMAIL)
    before = _journal_kinds(page_runtime)
    r = _post(
        api,
        f"/operator/reviews/{submitted}",
        f"/operator/reviews/{submitted}",
        {**ALL_TICKED, "classification": "", "decision": "approved"},
    )
    assert r.status_code == 400
    assert "cannot approve with failed checklist items: classification" in r.text
    assert 'class="alert alert-error"' in r.text
    assert _journal_kinds(page_runtime) == before
    assert api.get(f"/assets/{submitted}", headers=ops.headers).json()["status"] == "under_review"


def test_a_rejection_without_reasons_is_refused_and_with_reasons_reaches_the_supplier(
    api: TestClient, ops: Party, supplier: Party, submitted: int
) -> None:
    sign_in(api, OPERATOR_EMAIL)
    page = f"/operator/reviews/{submitted}"
    refused = _post(api, page, page, {"decision": "rejected", "reasons": "  "})
    assert refused.status_code == 400
    assert "a rejection needs reasons the supplier can act on" in refused.text

    done = _post(api, page, page, {"decision": "rejected", "reasons": "No proof of authority."})
    assert done.status_code == 303
    reviews = api.get(f"/assets/{submitted}/reviews", headers=supplier.headers).json()
    assert [r["reasons"] for r in reviews] == ["No proof of authority."]


def test_verifying_an_organisation_and_granting_a_role(
    api: TestClient, ops: Party, page_runtime: Runtime
) -> None:
    newcomer = party(api, "nia@new.test", "Nia Newcomer", ["buyer"])
    sign_in(api, OPERATOR_EMAIL)
    waiting = api.get("/operator/organizations", params={"verified": "false"}).text
    assert "Nia Newcomer" in waiting
    page = "/operator/organizations?verified=false"
    org = newcomer.organization_id
    assert _post(api, page, f"/operator/organizations/{org}/verify", {}).status_code == 303
    assert "Nia Newcomer" not in api.get("/operator/organizations?verified=false").text

    granted = _post(api, page, f"/operator/organizations/{org}/roles", {"role": "arbitrator"})
    assert granted.status_code == 303
    me = api.get("/me", headers=newcomer.headers).json()
    assert me["organization"]["verified"] is True
    assert "arbitrator" in me["organization"]["roles"]
    pool = api.get("/operator/arbitrators").text
    assert "nia@new.test" in pool

    bad = _post(api, page, f"/operator/organizations/{org}/roles", {"role": "king"})
    assert bad.status_code == 400
    assert "Choose one of the roles offered." in bad.text


def test_an_unknown_organisation_is_a_404_page(api: TestClient, ops: Party) -> None:
    sign_in(api, OPERATOR_EMAIL)
    r = _post(api, "/operator/organizations", "/operator/organizations/999999/verify", {})
    assert r.status_code == 404
    assert "no organisation 999999" in r.text


def test_fees_and_health_show_the_settings_and_the_books(api: TestClient, ops: Party) -> None:
    sign_in(api, OPERATOR_EMAIL)
    fees = api.get("/operator/fees").text
    assert "DATABOURSE_EXCHANGE_FEE_BP" in fees
    assert "2.5 %" in fees
    # Orders keep the dispute window their terms signed; the setting is the old orders' one.
    assert "Dispute window after settlement, for orders placed before signed windows" in fees
    health = api.get("/operator/health").text
    assert "reconciled" in health
    assert 'class="num books-sum">' in health


@pytest.mark.parametrize(
    "path",
    [
        "/operator/reviews",
        "/operator/organizations",
        "/operator/arbitrators",
        "/operator/fees",
        "/operator/health",
    ],
)
def test_other_roles_are_refused_and_anonymous_callers_sent_to_sign_in(
    api: TestClient, supplier: Party, path: str
) -> None:
    anonymous = api.get(path, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    sign_in(api, SUPPLIER_EMAIL, PASSWORD)
    r = api.get(path)
    assert r.status_code == 403
    assert "this needs the operator role" in r.text


def test_a_supplier_cannot_post_a_review(
    api: TestClient, page_runtime: Runtime, supplier: Party, submitted: int
) -> None:
    sign_in(api, SUPPLIER_EMAIL, PASSWORD)
    before = _journal_kinds(page_runtime)
    r = _post(api, "/", f"/operator/reviews/{submitted}", {**ALL_TICKED, "decision": "approved"})
    assert r.status_code == 403
    assert _journal_kinds(page_runtime) == before
