"""The buyer's journey in a real browser (the system Chromium): deposit on /money, search the
catalog, open the listing, buy with a purpose, download and compare the file's SHA-256 with the
one the exchange recorded, accept; the balance shows the price gone, and the pages visited
speak Chinese after the switch."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import PASSWORD
from tests.marketplace.pages.buyer_helpers import BUYER_EMAIL, market
from tests.marketplace.pages.helpers import shoot, sign_in, switch_language, watched_page

playwright_sync = pytest.importorskip("playwright.sync_api")


def forgive_legacy_csp_meta(errors: list[str]) -> None:
    """The catalog's pages were once built by a legacy layout (pages/layout.py), whose CSP
    ``<meta>`` names ``frame-ancestors``, which Chromium reports as a console error; drop just
    that message, seen on /catalog. Remove once the catalog is on the templates."""
    errors[:] = [e for e in errors if not ("'frame-ancestors' is ignored" in e and "/catalog" in e)]


def test_a_buyer_deposits_buys_downloads_and_accepts(
    *,
    api: TestClient,
    page_runtime: Runtime,
    base_url: str,
    browser: playwright_sync.Browser,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    mk = market(api, page_runtime)
    name = request.node.callspec.id
    with watched_page(browser) as (page, watch):
        sign_in(page, base_url, BUYER_EMAIL, PASSWORD)

        page.goto(base_url + "/money")
        page.fill("#f-deposit-amount", "2000")
        page.click("form.deposit button[type=submit]")
        page.wait_for_url("**/money?done=*")
        assert page.locator(".stat.available .big").inner_text() == "CN¥2,000.00"

        page.goto(base_url + "/")
        page.fill("#q", "fruit")
        page.click("form.search button[type=submit]")
        page.click(f'a[href="/catalog/{mk.asset_id}"]')
        page.wait_for_url(f"**/catalog/{mk.asset_id}")
        page.click(f'a.buy[href="/buyer/buy/{mk.listing_id}"]')
        page.wait_for_url(f"**/buyer/buy/{mk.listing_id}")
        forgive_legacy_csp_meta(watch.console_errors)
        assert page.locator(".terms .price").inner_text() == "CN¥1,250.00"
        page.select_option("#f-purpose", "research")
        page.click("form.buy button[type=submit]")
        page.wait_for_url("**/buyer/orders/*")
        assert page.locator("h1 .status").inner_text() == "paid"

        page.click("form[action$='/download'] button[type=submit]")
        page.wait_for_selector("section.download")
        shown = page.locator("code.sha256").inner_text()
        with page.expect_download() as started:
            page.click("a.download-link")
        saved = tmp_path / "received.csv"
        started.value.save_as(saved)
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == shown

        page.click("form[action$='/accept'] button[type=submit]")
        page.wait_for_selector("h1 .status.settled")
        assert page.locator("a[href^='/disputes/new?order_id=']").count() == 1
        shoot(page, f"buyer-order-{name}")

        # The settled trade is now in the listing's price history, for its buyer.
        page.goto(f"{base_url}/catalog/{mk.asset_id}")
        chart = page.locator("#price-history svg.price-history")
        assert chart.is_visible()
        assert chart.locator("circle.trade.this-asset").count() == 1
        assert page.locator("table.price-history-points tbody tr td").all_inner_texts()[1:4] == [
            "CN¥1,250.00",
            "this asset",
            "listing price",
        ]
        page.locator("#price-history").scroll_into_view_if_needed()
        shoot(page, f"buyer-price-history-{name}")
        page.set_viewport_size({"width": 375, "height": 800})  # a phone: the chart shrinks
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] <= 375
        page.set_viewport_size({"width": 1280, "height": 900})

        page.goto(base_url + "/money")
        assert page.locator(".stat.available .big").inner_text() == "CN¥750.00"
        assert page.locator(".stat.held .big").inner_text() == "CN¥0.00"
        shoot(page, f"buyer-money-{name}")

        switch_language(page, "zh_CN")
        assert page.locator("h1").inner_text() == "余额"
        assert page.locator("form.deposit h2").inner_text() == "充值"
        assert page.locator(".stat.available .label").inner_text() == "可用"
        page.click(".role-nav a[href='/buyer/orders']")
        page.wait_for_url("**/buyer/orders")
        assert page.locator("h1").inner_text() == "我的订单"
        page.click("table.orders tbody a")
        page.wait_for_url("**/buyer/orders/*")
        assert page.locator(".order-actions h2").inner_text() == "可进行的操作"
        assert page.locator("a[href^='/disputes/new']").inner_text() == "发起争议"
        page.goto(f"{base_url}/buyer/buy/{mk.listing_id}")
        assert page.locator("form.buy h2").inner_text() == "确认购买"
        assert page.locator("label[for=f-purpose]").inner_text() == "用途"
        shoot(page, f"buyer-journey-zh-{name}")
        page.goto(f"{base_url}/catalog/{mk.asset_id}")
        assert page.locator("#price-history h2").inner_text() == "可比成交价格走势"
        assert page.locator("#price-history svg.price-history .asking-label").text_content() == (
            "要价 ¥1,250.00"
        )
        page.locator("#price-history").scroll_into_view_if_needed()
        shoot(page, f"buyer-price-history-zh-{name}")
