"""The system Chromium through Playwright, for page tests (loaded by tests/conftest.py).

Never a downloaded browser: Debian's chromium at /usr/bin/chromium, started with the flags that
keep it off the network (no background networking, no component updates)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def browser() -> Iterator[Any]:
    """A launched Chromium; fails (never skips) when the system browser is missing."""
    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail("the system Chromium is missing: apt-get install -y chromium")
    with playwright_sync.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
