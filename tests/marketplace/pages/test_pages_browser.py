"""The public pages in a real browser (the system Chromium through Playwright) against uvicorn on
127.0.0.1, on both databases: a person opens the home page, searches, opens an asset, downloads
its certificate, opens the explorer and an entry. Every request must stay on 127.0.0.1; each
page is saved as a screenshot."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser_fixtures import PNG_MAGIC
from tests.marketplace.pages.conftest import CLINIC_TITLE, DRAFT_TITLE, FRUIT_TITLE, World

playwright_sync = pytest.importorskip("playwright.sync_api")
STEP_TIMEOUT_MS = 15_000  # a wait bound, as in the other browser tests; speed is for bench/


def shoot(page: playwright_sync.Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC), path
    assert len(data) > 5_000, path


def test_a_buyer_browses_the_catalog_and_an_auditor_follows_the_ledger(
    *,
    world: World,
    base_url: str,
    browser: playwright_sync.Browser,
    tmp_path: Path,
) -> None:
    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    hosts: list[str] = []
    blocked: list[str] = []

    def guard(route: playwright_sync.Route) -> None:
        url = route.request.url
        hosts.append(urlsplit(url).hostname or url)
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    shots = tmp_path / "shots"
    shots.mkdir()

    # Home: what the exchange is, its counts, a search box.
    page.goto(base_url + "/")
    assert page.title() == "An open data exchange · Databourse"
    assert page.locator(".card.listed").inner_text().startswith("2")
    assert "last anchored entry" in page.locator(".card.anchored").inner_text()
    shoot(page, shots / "home.png")

    # Search the catalog for "fruit": the listed asset, not the draft with the same keyword.
    page.fill("input[name=q]", "fruit")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**/catalog?q=fruit")
    titles = page.locator("table.assets a.title").all_inner_texts()
    assert titles == [FRUIT_TITLE]
    assert DRAFT_TITLE not in page.inner_text("body")
    assert CLINIC_TITLE not in page.inner_text("body")
    assert "1 offer on this page · matching “fruit”" in page.inner_text("p.count")
    shoot(page, shots / "catalog.png")

    # Open the asset: its metadata, revision identity and anchored certificate.
    page.click(f"text={FRUIT_TITLE}")
    page.wait_for_url(f"**/catalog/{world.fruit_id}")
    body = page.inner_text("body")
    assert "Daily wholesale fruit prices" in body
    assert "Registration certificate" in body
    assert page.locator(".anchor-status").inner_text() == "anchored"
    assert page.locator("table.schema").is_visible()
    shoot(page, shots / "asset.png")

    # Follow the certificate link: the file saves as cert.json, ready for `bourse verify`.
    with page.expect_download() as download_info:
        page.click("a.certificate-link")
    download = download_info.value
    assert download.suggested_filename == "cert.json"
    saved = tmp_path / "cert.json"
    download.save_as(str(saved))
    cert = json.loads(saved.read_text())
    assert cert["anchor_status"] == "anchored"
    assert cert["certificate"]["asset_id"] == world.fruit_id
    assert cert["receipt"]["entry"]["kind"] == "asset.registered"

    # The explorer, then the certificate's journal entry.
    page.click("header >> text=Ledger explorer")
    page.wait_for_url("**/explorer")
    assert page.locator("table.entries a.seq").count() == world.unanchored_seq
    assert "asset.registered" in page.inner_text("table.entries")
    shoot(page, shots / "explorer.png")

    page.click(f'table.entries a.seq[href="/explorer/entries/{cert["seq"]}"]')
    page.wait_for_url(f"**/explorer/entries/{cert['seq']}")
    assert page.locator("h1").inner_text() == f"Journal entry {cert['seq']}"
    assert '"content_hash"' in page.inner_text("pre.payload")
    assert page.inner_text("pre.command") == "bourse verify receipt.json --contract ADDRESS"
    assert cert["receipt"]["anchor"]["tx_hash"] in page.inner_text("body")
    shoot(page, shots / "entry.png")

    assert blocked == []
    assert set(hosts) == {"127.0.0.1"}, hosts
    context.close()


def test_on_a_phone_no_page_scrolls_sideways(
    *, world: World, base_url: str, browser: playwright_sync.Browser
) -> None:
    """Wide tables (revisions, quality dimensions, the catalog) and the valuation chart once
    made the whole page scroll sideways at 390 px; now a table scrolls inside itself."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.set_default_timeout(STEP_TIMEOUT_MS)
    fruit = world.fruit_id
    for path in (
        "/",
        "/catalog",
        f"/catalog/{fruit}",
        f"/assets/{fruit}/valuations/{world.valuation_id}/report.html",
        "/explorer",
    ):
        response = page.goto(base_url + path)
        assert response is not None, path
        assert response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide"
    page.close()
