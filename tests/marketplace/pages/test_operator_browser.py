"""The operator's organisations page in a real browser (the system Chromium): suspending an
organisation takes a reason, the row then shows the suspension and a Reinstate button, and
reinstating clears it. The suspended organisation's member is signed out meanwhile."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import operator, party
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD
from tests.marketplace.pages.helpers import shoot, sign_in, watched_page

playwright_sync = pytest.importorskip("playwright.sync_api")
REASON = "chargebacks on stolen cards"


def test_an_operator_suspends_and_reinstates_an_organisation_with_the_buttons(
    api: TestClient,
    page_runtime: Runtime,
    base_url: str,
    browser: playwright_sync.Browser,
    request: pytest.FixtureRequest,
) -> None:
    ops = operator(api, page_runtime)
    target = party(api, "sly@fraud.test", "Sly Trading", ["buyer"])
    row = f"#org-{target.organization_id}"
    name = request.node.callspec.id
    with watched_page(browser) as (page, _watch):
        sign_in(page, base_url, OPERATOR_EMAIL, PASSWORD)
        page.goto(base_url + "/operator/organizations")
        assert page.locator(f"#org-{ops.organization_id} form.suspend").count() == 0
        assert page.locator(f"{row} td.suspension").inner_text() == "—"
        page.fill(f"{row} form.suspend input[name=reason]", REASON)
        page.click(f"{row} form.suspend button[type=submit]")
        page.wait_for_selector(f"{row} form.reinstate")
        shown = page.locator(f"{row} td.suspension").inner_text()
        assert "suspended" in shown
        assert REASON in shown
        assert api.get("/me", headers=target.headers).status_code == 401  # signed out
        shoot(page, f"operator-suspended-{name}")

        page.click(f"{row} form.reinstate button[type=submit]")
        page.wait_for_selector(f"{row} form.suspend")
        assert page.locator(f"{row} td.suspension").inner_text() == "—"
    listed = api.get("/organizations", headers=ops.headers).json()["items"]
    assert [o["suspended"] for o in listed if o["id"] == target.organization_id] == [False]
