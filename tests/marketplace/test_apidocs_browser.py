"""/docs in a real browser (the system Chromium through Playwright) against uvicorn on 127.0.0.1:
Swagger UI renders the OpenAPI 3.1 document and lists the operations, under a strict
Content-Security-Policy (scripts from this origin only), loading nothing from anywhere else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import Engine

from marketplace.apidocs import DOCS_CSP
from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.browser_fixtures import PNG_MAGIC
from tests.conftest import settings_for
from tests.marketplace.identity.helpers import serve

playwright_sync = pytest.importorskip("playwright.sync_api")
STEP_TIMEOUT_MS = 15_000


@pytest.fixture
def base_url(engine: Engine) -> Iterator[str]:
    runtime = Runtime(settings=settings_for(engine), engine=engine)
    with serve(create_app(runtime=runtime)) as url:
        yield url


def test_docs_lists_the_operations_of_the_openapi_31_document(
    *, base_url: str, browser: playwright_sync.Browser, tmp_path: Path
) -> None:
    context = browser.new_context()
    context.set_default_timeout(STEP_TIMEOUT_MS)
    elsewhere: list[str] = []
    problems: list[str] = []

    def strict(route: playwright_sync.Route) -> None:
        """Only 127.0.0.1; the page under DOCS_CSP as well as any policy the app sends (a list
        of policies: the browser enforces each)."""
        if urlsplit(route.request.url).hostname != "127.0.0.1":
            elsewhere.append(route.request.url)
            route.abort()
        elif urlsplit(route.request.url).path == "/docs":
            response = route.fetch()
            sent = response.headers.get("content-security-policy")
            policy = f"{sent}, {DOCS_CSP}" if sent else DOCS_CSP
            route.fulfill(
                response=response, headers={**response.headers, "content-security-policy": policy}
            )
        else:
            route.continue_()

    context.route("**/*", strict)
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    spec = page.request.get(base_url + "/openapi.json").json()
    assert spec["openapi"].startswith("3.1")

    page.goto(base_url + "/docs")
    page.wait_for_selector(".opblock-summary-path")

    assert page.locator(".info .title").inner_text().startswith(spec["info"]["title"])
    paths = set(page.locator(".opblock-summary-path").all_inner_texts())
    operations = {(m, p) for p, item in spec["paths"].items() for m in item}
    assert page.locator(".opblock").count() == len(operations)
    assert {p.replace("\u200b", "") for p in paths} == set(spec["paths"])
    assert page.locator(".opblock-post .opblock-summary-path", has_text="/auth/signup").count() == 1
    assert problems == []  # no CSP violation, no script error
    assert elsewhere == []
    page.screenshot(path=str(tmp_path / "docs.png"))
    assert (tmp_path / "docs.png").read_bytes().startswith(PNG_MAGIC)
    context.close()
