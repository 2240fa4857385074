"""The pages in a real browser (the system Chromium), in both languages: a member signs in,
switches to Chinese, and sees Chinese labels on the home page, the catalog, a listing and the
ledger explorer; no page logs a console error or fails to load one of its files
(``helpers.watched_page``)."""

from __future__ import annotations

import pytest

from tests.marketplace.identity.helpers import PASSWORD
from tests.marketplace.pages.conftest import FRUIT_TITLE, World
from tests.marketplace.pages.helpers import shoot, sign_in, switch_language, watched_page

playwright_sync = pytest.importorskip("playwright.sync_api")
SUPPLIER_EMAIL = "alice@supplier.test"  # the world's supplier
DIMENSIONS_ZH = ("规范性", "完整性", "准确性", "一致性", "时效性", "可访问性")  # GB/T 36344


def test_a_member_signs_in_and_reads_the_pages_in_chinese(
    world: World,
    base_url: str,
    browser: playwright_sync.Browser,
    request: pytest.FixtureRequest,
) -> None:
    name = request.node.callspec.id
    with watched_page(browser) as (page, _):
        sign_in(page, base_url, SUPPLIER_EMAIL, PASSWORD)
        assert page.locator(".who-email").inner_text() == SUPPLIER_EMAIL
        assert page.locator(".who-org").inner_text() == "Alice Data"
        assert page.locator("h1").inner_text() == "Databourse, an open data exchange"

        switch_language(page, "zh_CN")
        assert page.locator("h1").inner_text() == "Databourse 开放数据交易所"
        assert page.locator(".site-nav a").all_inner_texts() == [
            "首页", "数据目录", "账本浏览器", "批次", "API 文档",
        ]  # fmt: skip
        assert page.locator(".sign-out button").inner_text() == "退出登录"
        assert "项已挂牌资产" in page.locator(".card.listed").inner_text()
        shoot(page, f"journey-zh-home-{name}")

        page.click(".site-nav >> text=数据目录")
        page.wait_for_url("**/catalog")
        assert page.locator("h1").inner_text() == "数据目录"
        assert page.locator("label[for=f-sort]").inner_text() == "排序"
        price = "¥1,250.00，一次性付款"  # noqa: RUF001 -- Chinese punctuation, as shown
        assert price in page.locator("table.assets").inner_text()
        page.select_option("#f-sort", "price_desc")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**/catalog?*sort=price_desc*")
        titles = page.locator("table.assets a.title").all_inner_texts()
        assert titles[-1] == FRUIT_TITLE  # the subscription costs more
        shoot(page, f"journey-zh-catalog-{name}")

        page.click(f"table.assets >> text={FRUIT_TITLE}")
        page.wait_for_url(f"**/catalog/{world.fruit_id}")
        assert page.locator("#offers h2").inner_text() == "价格与条款"
        terms = "允许用途：科研、内部分析。"  # noqa: RUF001 -- Chinese punctuation, as shown
        assert terms in page.locator("ul.terms").inner_text()
        assert page.locator("#quality svg.radar").is_visible()
        radar = page.locator("#quality svg.radar").text_content() or ""
        assert all(label in radar for label in DIMENSIONS_ZH), radar
        page.click("a.quality-link")
        page.wait_for_url("**/quality/report.html")
        assert page.locator("h1").inner_text() == f"质量报告：{FRUIT_TITLE}"  # noqa: RUF001
        shown = page.locator("table.dimensions").inner_text()
        assert all(label in shown for label in DIMENSIONS_ZH), shown
        assert "字节顺序标记（BOM）： 否" in shown  # noqa: RUF001 -- Chinese punctuation, as shown
        assert "Byte order mark" not in shown
        shoot(page, f"journey-zh-quality-{name}")
        page.go_back()
        page.wait_for_url(f"**/catalog/{world.fruit_id}")
        assert page.locator("#certificate h2").inner_text() == "登记凭证"
        page.click("a.verify-link")  # htmx swaps the result in
        page.wait_for_selector(".certificate-result")
        assert page.locator(".certificate-result").inner_text().startswith("有效。")
        shoot(page, f"journey-zh-listing-{name}")

        page.click(".site-nav >> text=账本浏览器")
        page.wait_for_url("**/explorer")
        assert page.locator("h1").inner_text() == "账本浏览器"
        assert page.locator("table.entries th").all_inner_texts()[1] == "类型"
        shoot(page, f"journey-zh-explorer-{name}")

        page.click(".sign-out button")
        page.wait_for_selector("a.sign-in")
        assert page.locator("a.sign-in").inner_text() == "登录"


def test_on_a_375px_phone_the_signed_in_pages_do_not_scroll_sideways(
    world: World, base_url: str, browser: playwright_sync.Browser
) -> None:
    with watched_page(browser, width=375, height=812) as (page, _):
        sign_in(page, base_url, SUPPLIER_EMAIL, PASSWORD)
        switch_language(page, "zh_CN")
        for path in ("/", "/catalog", f"/catalog/{world.fruit_id}", "/explorer", "/login"):
            page.goto(base_url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width} px wide"
