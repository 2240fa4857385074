"""The security headers in a real browser (the system Chromium through Playwright): Swagger UI
at /docs still runs under its Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.identity.helpers import serve

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def base_url(engine: Engine) -> Iterator[str]:
    runtime = Runtime(settings=settings_for(engine), engine=engine)
    with serve(create_app(runtime=runtime)) as url:
        yield url


def test_the_api_docs_render_under_their_content_security_policy(
    browser: playwright_sync.Browser, base_url: str
) -> None:
    page = browser.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    with page.expect_response(f"{base_url}/openapi.json", timeout=15_000) as spec:
        response = page.goto(f"{base_url}/docs")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert spec.value.status == 200  # Swagger UI's script ran and was allowed to fetch the spec
    page.wait_for_selector("#swagger-ui .swagger-ui", timeout=15_000)  # and drew its page
    violations = [text for text in console if "Content Security Policy" in text]
    assert violations == []
