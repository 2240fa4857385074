"""The pages in a real browser (the system Chromium), in both languages: a member signs in,
switches to Chinese, and sees Chinese labels on each public page; no page logs a console error
or fails to load one of its files."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import PASSWORD, serve, signup
from tests.marketplace.pages.helpers import shoot, sign_in, switch_language, watched_page

playwright_sync = pytest.importorskip("playwright.sync_api")
EMAIL = "bea@buyer.test"


@pytest.fixture
def base_url(page_runtime: Runtime) -> Iterator[str]:
    with serve(create_app(runtime=page_runtime)) as url:
        yield url


def test_a_member_signs_in_and_reads_the_pages_in_chinese(
    api: TestClient, base_url: str, browser: playwright_sync.Browser, request: pytest.FixtureRequest
) -> None:
    signup(api, EMAIL, "Bea Buying", ["buyer"])
    name = request.node.callspec.id
    with watched_page(browser) as (page, _):
        sign_in(page, base_url, EMAIL, PASSWORD)
        assert page.locator(".who-email").inner_text() == EMAIL
        assert page.locator("h1").inner_text() == "Databourse, an open data exchange"

        switch_language(page, "zh_CN")

        assert page.locator("h1").inner_text() == "Databourse 开放数据交易所"
        assert page.locator(".site-nav").inner_text().split() == [
            "首页",
            "数据目录",
            "账本浏览器",
            "批次",
            "API",
            "文档",
        ]
        assert page.locator(".sign-out button").inner_text() == "退出登录"
        shoot(page, f"home-zh-{name}")

        page.click(".sign-out button")
        page.wait_for_selector("a.sign-in")
        assert page.locator("a.sign-in").inner_text() == "登录"
