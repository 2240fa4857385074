"""The supplier's journey in a real browser (the system Chromium): sign in, register an asset by
filling its form, upload a CSV with the progress bar, submit it for review; the operator approves
it from the review queue, ticking the checklist; then create a listing by clicking and
typing, find it in the catalog, and read the pages visited in Chinese."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import CSV, operator, party, verify
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD
from tests.marketplace.pages.helpers import shoot, sign_in, switch_language, watched_page

playwright_sync = pytest.importorskip("playwright.sync_api")
EMAIL = "sam@supplier.test"
TITLE = "Tea harvests by garden"


def test_a_supplier_registers_uploads_submits_and_lists_an_asset(
    api: TestClient,
    page_runtime: Runtime,
    base_url: str,
    browser: playwright_sync.Browser,
    request: pytest.FixtureRequest,
) -> None:
    ops = operator(api, page_runtime)
    sam = party(api, EMAIL, "Sam Supplies", ["supplier"])
    verify(api, ops, sam)
    name = request.node.callspec.id
    with watched_page(browser) as (page, _watch):
        sign_in(page, base_url, EMAIL, PASSWORD)
        page.click(".role-nav >> text=My assets")
        page.wait_for_url("**/supplier/assets")
        page.click("text=Register an asset")
        page.wait_for_url("**/supplier/assets/new")

        page.fill("#f-title", TITLE)
        page.fill("#f-description", "Weekly yields of each tea garden")
        page.fill("#f-keywords", "tea, harvest")
        page.fill("#f-theme", "agriculture")
        page.select_option("#f-license", "CC-BY-4.0")
        page.fill("#f-temporal_start", "2024-01-01")
        page.fill("#f-temporal_end", "2024-12-31")
        page.select_option("#f-accrual_periodicity", "weekly")
        page.select_option("#f-source_type", "collected")
        page.fill("#f-authority_proof", "the gardens' own ledgers")
        page.click("form.asset-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/supplier/assets/\d+$"))
        asset_id = int(page.url.rsplit("/", 1)[1])
        assert page.locator("h1").inner_text() == TITLE
        assert page.locator(".asset-status .status").inner_text() == "draft"

        page.set_input_files(
            "#f-file", files=[{"name": "tea.csv", "mimeType": "text/csv", "buffer": CSV}]
        )
        page.select_option("#f-format", "csv")
        page.click("form.upload-form button[type=submit]")
        page.wait_for_selector("#schema h2")  # the page reloads once the upload is stored
        assert page.locator("#schema h2").inner_text() == "Table schema of revision 1"
        assert page.locator("table.revisions tbody tr").count() == 1

        page.click("text=Submit for review")
        page.wait_for_selector(".asset-status .status.under_review")

        # The operator approves it from the review queue, ticking the checklist.
        page.wait_for_load_state("load")  # its scripts too: leaving earlier would abort them
        page.click("form.sign-out button")
        page.wait_for_selector("a.sign-in")
        sign_in(page, base_url, OPERATOR_EMAIL, PASSWORD)
        page.click(".role-nav >> text=Review queue")
        page.wait_for_url("**/operator/reviews")
        page.click(f"table.review-queue >> text={TITLE}")
        page.wait_for_url(f"**/operator/reviews/{asset_id}")
        page.wait_for_load_state("load")
        for item in ("authority", "personal_information", "classification", "metadata_complete"):
            page.check(f"#f-{item}")
        page.fill("#f-authority_note", "ledgers seen")
        page.check("#f-approve")
        page.click("form.review button[type=submit]")
        page.wait_for_url("**/operator/reviews")
        assert TITLE not in page.locator("main").inner_text()
        shoot(page, f"operator-review-queue-{name}")
        page.wait_for_load_state("load")  # its scripts too: leaving earlier would abort them
        page.click("form.sign-out button")
        page.wait_for_selector("a.sign-in")
        sign_in(page, base_url, EMAIL, PASSWORD)
        page.goto(f"{base_url}/supplier/assets/{asset_id}")
        page.click("text=Create a listing")
        page.wait_for_url(f"**/supplier/listings/new?asset_id={asset_id}")
        assert page.locator("#suggestion-h").inner_text() == "Price suggestion"
        page.fill("#f-amount", "88.80")
        page.check('input[name=purposes][value="commercial"]')
        page.fill("#f-territory", "CN, HK")
        page.click("text=Sign and list")
        page.wait_for_url(re.compile(r".*/supplier/listings#listing-\d+$"))
        row = page.locator("table.listings tbody tr").first
        assert TITLE in row.inner_text()
        assert "88.80" in row.inner_text()

        row.locator("text=in the catalog").click()
        page.wait_for_url(f"**/catalog/{asset_id}")
        assert TITLE in page.locator("h1").inner_text()

        page.goto(base_url + "/supplier/listings")
        switch_language(page, "zh_CN")
        assert page.locator("h1").inner_text() == "我的挂牌"
        assert "在目录中" in page.locator("table.listings tbody tr").first.inner_text()
        page.goto(f"{base_url}/supplier/assets/{asset_id}")
        assert page.locator(".next-steps h2").inner_text() == "下一步"
        assert page.locator("section.card h2").first.inner_text() == "元数据"
        shoot(page, f"supplier-asset-zh-{name}")
        page.goto(f"{base_url}/supplier/listings/new?asset_id={asset_id}")
        assert page.locator("#suggestion-h").inner_text() == "价格建议"
        assert page.locator("label[for=f-territory]").inner_text() == "地域范围"
        page.goto(base_url + "/supplier/assets/new")
        assert page.locator("h1").inner_text() == "登记资产"
        assert page.locator("label[for=f-title]").inner_text() == "标题"
        page.goto(base_url + "/supplier/assets")
        assert page.locator("h1").inner_text() == "我的资产"
        shoot(page, f"supplier-journey-{name}")
