"""A party's evidence file in a real browser (the system Chromium): the dispute page's file form
sends a file larger than a page form may carry through the page's upload, with a progress bar
that completes; the evidence is recorded with the file's SHA-256. A refusal shows its message
next to the file field: one from the server (an empty file) and one before sending (a file over
the limit)."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from marketplace import limits
from marketplace.pages.disputes import PAGE_FILE_BYTES_MAX
from marketplace.runtime import Runtime
from tests.marketplace.disputes.helpers import open_dispute
from tests.marketplace.identity.helpers import PASSWORD
from tests.marketplace.pages.dispute_world import BUYER_EMAIL, dispute_world
from tests.marketplace.pages.helpers import shoot, sign_in, watched_page

playwright_sync = pytest.importorskip("playwright.sync_api")
CONTENT = bytes(range(256)) * (6 * 1024)  # 1.5 MiB: over a page form's limit
# Records, across the reload that follows success, the highest value the progress bar showed.
WATCH_PROGRESS = """() => {
  const bar = document.querySelector('#file-form progress');
  sessionStorage.setItem('progress-max', '0');
  new MutationObserver(() => {
    if (!bar.hidden && bar.value > Number(sessionStorage.getItem('progress-max'))) {
      sessionStorage.setItem('progress-max', String(bar.value));
    }
  }).observe(bar, {attributes: true});
}"""


def test_a_party_uploads_a_large_evidence_file_with_a_progress_bar(
    api: TestClient,
    page_runtime: Runtime,
    base_url: str,
    browser: playwright_sync.Browser,
    request: pytest.FixtureRequest,
) -> None:
    assert len(CONTENT) > max(PAGE_FILE_BYTES_MAX, 1024 * 1024)
    world = dispute_world(api, page_runtime)
    dispute = open_dispute(api, world.buyer, world.order["id"])
    path = f"/disputes/{dispute['id']}"

    with watched_page(browser) as (page, watch):
        sign_in(page, base_url, BUYER_EMAIL, PASSWORD)
        page.goto(base_url + path)
        assert "At most 20,971,520 B (20.0 MiB)." in page.locator("#h-upload").inner_text()

        # Refused by the server (an empty file): its message next to the file field.
        page.fill("#file-form #f-title", "Empty")
        page.set_input_files("#f-upload", files=[{"name": "e.txt", "mimeType": "text/plain",
                                                  "buffer": b""}])  # fmt: skip
        page.click("#file-form button[type=submit]")
        page.wait_for_selector("#e-upload:not([hidden])")
        assert page.locator("#e-upload").inner_text() == "an evidence item is not empty"
        assert page.get_attribute("#f-upload", "aria-invalid") == "true"
        assert [e for e in watch.console_errors if "422" in e] == watch.console_errors != []
        watch.console_errors.clear()  # the browser logs the refused request: expected here

        # Over the limit (lowered here, to spare sending 20 MiB): refused before sending.
        page.evaluate("document.getElementById('file-form').dataset.maxBytes = '1024'")
        page.set_input_files("#f-upload", files=[{"name": "c.bin", "mimeType": "text/plain",
                                                  "buffer": CONTENT}])  # fmt: skip
        page.click("#file-form button[type=submit]")
        assert "the most an evidence file may be" in page.locator("#e-upload").inner_text()
        assert page.locator("#file-form progress").is_hidden()

        page.goto(base_url + path)  # the form as served
        page.evaluate(WATCH_PROGRESS)
        page.fill("#file-form #f-title", "Delivered rows")
        page.set_input_files("#f-upload", files=[{"name": "rows.csv", "mimeType": "text/plain",
                                                  "buffer": CONTENT}])  # fmt: skip
        with page.expect_response(lambda r: "/upload/disputes/" in r.url) as sent:
            page.click("#file-form button[type=submit]")
        assert sent.value.status == 201
        assert sent.value.request.method == "PUT"
        page.wait_for_selector("#evidence td:has-text('Delivered rows')")
        assert page.evaluate("sessionStorage.getItem('progress-max')") == "100"
        assert page.locator("#e-upload").is_hidden()
        shoot(page, f"dispute-evidence-upload-{request.node.callspec.id}")

    items = api.get(f"{path}/evidence", headers=world.buyer.headers).json()["items"]
    filed = next(i for i in items if i["title"] == "Delivered rows")
    assert filed["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert filed["size_bytes"] == len(CONTENT) < limits.evidence_file_bytes_max
