"""Helpers for page tests in a real browser (the system Chromium, from tests/browser_fixtures.py).

    with watched_page(browser) as (page, watch):
        page.goto(base_url + "/")
        sign_in(page, base_url, email, PASSWORD)
        switch_language(page, "zh_CN")
        ...
        shoot(page, "buyer-journey-catalog")  # tests/artifacts/buyer-journey-catalog.png
    # leaving the block asserts: no console error, no page error, no failed or 4xx/5xx request
    # for a page asset, no request to another host.

Each step waits on something the user sees (a URL, a locator), never on time. After a click that
loads a page, wait for its "load" before leaving it (``page.wait_for_load_state("load")``): a
navigation that cuts its scripts short is reported as a failed asset.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.browser_fixtures import PNG_MAGIC

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
STEP_TIMEOUT_MS = 15_000  # a bound on each wait, not a timing assertion
LOCAL_HOST = "127.0.0.1"
# What a page loads to show itself; a failed one means a broken page.
ASSET_TYPES = frozenset({"stylesheet", "script", "image", "font", "media"})
ABORTED = "net::ERR_ABORTED"


@dataclass
class PageWatch:
    """What went wrong while a page was open: console errors, uncaught page errors, failed
    asset requests and requests that tried to leave 127.0.0.1."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_assets: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def attach(self, context: Any, page: Any) -> None:
        def guard(route: Any) -> None:
            url = route.request.url
            if urlsplit(url).hostname == LOCAL_HOST or url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                self.foreign_requests.append(url)
                route.abort()

        def on_console(message: Any) -> None:
            if message.type == "error":
                self.console_errors.append(f"{message.text} ({message.location})")

        def on_response(response: Any) -> None:
            if response.request.resource_type in ASSET_TYPES and response.status >= 400:
                self.failed_assets.append(f"{response.status} {response.url}")

        def on_failed(request: Any) -> None:
            # net::ERR_ABORTED is the browser cancelling a load because the page navigated on
            # (a click or a redirect before its assets arrived, as on a busy machine); the next
            # page loads the same assets and is watched too. Any other failure is the asset's.
            if request.resource_type in ASSET_TYPES and request.failure != ABORTED:
                self.failed_assets.append(f"failed {request.url}: {request.failure}")

        context.route("**/*", guard)
        page.on("console", on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("response", on_response)
        page.on("requestfailed", on_failed)

    def assert_clean(self) -> None:
        assert self.console_errors == [], self.console_errors
        assert self.page_errors == [], self.page_errors
        assert self.failed_assets == [], self.failed_assets
        assert self.foreign_requests == [], self.foreign_requests


@contextmanager
def watched_page(
    browser: Any, *, width: int = 1280, height: int = 900, locale: str = "en-US"
) -> Iterator[tuple[Any, PageWatch]]:
    """A fresh browser context and page, watched; asserts the watch is clean at the end."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale=locale, accept_downloads=True
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch()
    watch.attach(context, page)
    try:
        yield page, watch
        watch.assert_clean()
    finally:
        context.close()


def sign_in(page: Any, base_url: str, email: str, password: str) -> None:
    """Through the login page, as a person would; ends on the page it was sent to."""
    page.goto(base_url + "/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("main button[type=submit]")
    page.wait_for_selector("form.sign-out")
    page.wait_for_load_state("load")  # its scripts too: leaving earlier would abort them


def switch_language(page: Any, locale: str) -> None:
    """Clicks the header's language switch (``en`` or ``zh_CN``) and waits for the page to
    speak it."""
    page.click(f'.lang-switch button[value="{locale}"]')
    page.wait_for_selector(f'html[lang="{locale.replace("_", "-")}"]')
    page.wait_for_load_state("load")  # its scripts too: leaving earlier would abort them


def shoot(page: Any, name: str) -> Path:
    """A full-page screenshot saved as ``tests/artifacts/<name>.png`` for review (ignored by
    git); give each test its own name (xdist runs tests side by side)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC), path
    assert len(data) > 5_000, path
    return path
