"""A period of a subscription disputed in a real browser (the system Chromium): the buyer finds
the periods on its order's page, clicks "Dispute this period", fills the form and lands on the
dispute's page, which names the period; back on the order, the period reads disputed and has
no link. No page logs a console error or fails to load one of its files."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import PASSWORD
from tests.marketplace.pages.dispute_world import BUYER_EMAIL, dispute_world
from tests.marketplace.pages.helpers import shoot, sign_in, switch_language, watched_page
from tests.marketplace.pages.test_period_disputes_http import subscription

playwright_sync = pytest.importorskip("playwright.sync_api")


def test_the_buyer_disputes_one_period_from_the_order_page(
    api: TestClient,
    page_runtime: Runtime,
    base_url: str,
    browser: playwright_sync.Browser,
    request: pytest.FixtureRequest,
) -> None:
    world = dispute_world(api, page_runtime)
    order_id = subscription(api, page_runtime, world, periods=2)
    name = request.node.callspec.id

    with watched_page(browser) as (page, _):
        sign_in(page, base_url, BUYER_EMAIL, PASSWORD)
        page.goto(f"{base_url}/buyer/orders/{order_id}")
        assert page.locator("#h-periods").inner_text() == "Periods"
        row = page.locator("#period-1")
        assert "held" in row.inner_text()
        assert page.locator("text=Open a dispute").count() == 0
        row.locator("text=Dispute this period").click()
        page.wait_for_url(re.compile(rf".*/disputes/new\?order_id={order_id}&period=1$"))
        assert f"Dispute period 1 of order {order_id}" in page.locator(".lead").inner_text()
        page.select_option("#f-reason", "quality_below_report")
        page.fill("#f-statement", "The feed stopped a week into the first month.")
        page.click("text=Open the dispute")
        page.wait_for_url(re.compile(r".*/disputes/\d+$"))
        assert page.locator(".facts.case dd.period").inner_text() == "1"
        switch_language(page, "zh_CN")
        assert page.locator(".facts.case dd.period").inner_text() == "1"
        assert "期次" in page.locator(".facts.case").inner_text()
        shoot(page, f"period-dispute-zh-{name}")

        page.goto(f"{base_url}/buyer/orders/{order_id}")
        assert page.locator("#h-periods").inner_text() == "各期"
        assert "争议中" in page.locator("#period-1").inner_text()
        assert page.locator(".dispute-period").count() == 0
        shoot(page, f"period-order-zh-{name}")
