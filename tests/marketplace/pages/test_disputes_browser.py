"""The dispute journey in a real browser (the system Chromium): the buyer opens a dispute on its
order from the page and submits a statement; the drawn arbitrator finds the case, reads the
timeline with its verified badges, moves the split slider by keyboard, writes reasons and rules;
the ruling shows; the pages read in Chinese after the switch. No page logs a console error or
fails to load one of its files."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ledger.chain import Web3AnchorChain
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import PASSWORD
from tests.marketplace.pages.conftest import anchor
from tests.marketplace.pages.dispute_world import BUYER_EMAIL, JUDGE_EMAIL, dispute_world
from tests.marketplace.pages.helpers import shoot, sign_in, switch_language, watched_page

playwright_sync = pytest.importorskip("playwright.sync_api")
CLOCK = "marketplace.pages.disputes.utc_now"


def test_the_buyer_disputes_and_the_arbitrator_rules_with_the_split_slider(  # noqa: PLR0917
    api: TestClient,
    page_runtime: Runtime,
    engine: Engine,
    chain: Web3AnchorChain,
    base_url: str,
    browser: playwright_sync.Browser,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    world = dispute_world(api, page_runtime)
    order_id = world.order["id"]
    name = request.node.callspec.id

    with watched_page(browser) as (page, _):
        sign_in(page, base_url, BUYER_EMAIL, PASSWORD)
        page.goto(f"{base_url}/disputes/new?order_id={order_id}")
        assert page.locator("h1").inner_text() == "Open a dispute"
        page.select_option("#f-reason", "quality_below_report")
        page.fill("#f-statement", "Half of the rows are missing from the delivered file.")
        page.click("text=Open the dispute")
        page.wait_for_url(re.compile(r".*/disputes/\d+$"))
        dispute_id = int(page.url.rsplit("/", 1)[1])
        assert page.locator(".timeline .record").count() >= 2
        page.fill("#statement-form #f-text", "The anchored report promised 1,000 rows.")
        page.click("#statement-form button[type=submit]")
        page.wait_for_selector("text=The anchored report promised 1,000 rows.")
        switch_language(page, "zh_CN")
        assert page.locator("#timeline h2").inner_text() == "时间线"
        assert page.locator("#statements h2").inner_text() == "陈述"
        shoot(page, f"dispute-buyer-zh-{name}")

    anchor(engine, chain)
    closes = api.get(f"/disputes/{dispute_id}", headers=world.buyer.headers).json()
    moment = datetime.fromisoformat(closes["evidence_closes_at"]) + timedelta(seconds=1)
    monkeypatch.setattr(CLOCK, lambda: moment)

    with watched_page(browser) as (page, _):
        sign_in(page, base_url, JUDGE_EMAIL, PASSWORD)
        page.click('.role-nav a[href="/disputes"]')
        page.wait_for_url("**/disputes")
        page.click(f'a[href="/disputes/{dispute_id}"]')
        page.wait_for_url(f"**/disputes/{dispute_id}")
        records = page.locator(".timeline .record")
        assert records.count() >= 3  # opened, drawn, the buyer's statement
        assert page.locator(".check-signature.valid").count() >= 1
        assert page.locator(".check-hash.matches").count() >= 1
        assert page.locator(".check-anchor.anchored").count() == records.count()
        assert page.locator(".check-signature.invalid, .check-hash.differs").count() == 0

        page.check('input[name=outcome][value="split"]')
        page.focus("#f-supplier_bp")
        for _ in range(10):
            page.keyboard.press("ArrowRight")
        assert page.input_value("#f-supplier_bp") == "6000"
        assert "6000 bp" in page.locator("#o-supplier_bp").inner_text()
        page.fill("#f-reasons", "About half the promised rows arrived; 60 % to the supplier.")
        page.click("#ruling-form button[type=submit]")
        page.wait_for_selector(".rulings .ruling")
        ruling = page.locator(".rulings .ruling").inner_text()
        assert "supplier 6000 bp" in ruling
        assert "About half the promised rows arrived" in ruling
        assert page.locator("#ruling-form").count() == 0

        switch_language(page, "zh_CN")
        assert page.locator(".rulings h2").inner_text() == "裁决"
        assert "供方 6000 基点" in page.locator(".rulings .ruling").inner_text()
        assert page.locator(".check-signature.valid").first.inner_text() == "签名已核验"
        assert page.locator(".check-anchor.anchored").first.inner_text() == "已锚定"
        shoot(page, f"dispute-arbitrator-zh-{name}")
        page.set_viewport_size({"width": 375, "height": 800})  # a phone: nothing wider
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.click('.role-nav a[href="/disputes"]')
        page.wait_for_url("**/disputes")
        assert page.locator("h1").inner_text() == "争议"
        assert page.locator(".disputes .status").first.inner_text() == "已裁决"
