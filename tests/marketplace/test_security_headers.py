"""Security headers on every kind of answer (JSON, error, HTML page): a Content-Security-Policy
always, Strict-Transport-Security only when the exchange is served over TLS; and a request body
with a Content-Encoding is refused (nothing on the server inflates request bodies)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace import limits
from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.conftest import settings_for

PATHS = ("/health", "/catalog", "/no/such/thing", "/openapi.json")


def _client(engine: Engine, public_url: str) -> TestClient:
    runtime = Runtime(settings=settings_for(engine, public_url=public_url), engine=engine)
    return TestClient(create_app(runtime=runtime), raise_server_exceptions=False)


@pytest.fixture
def behind_tls(engine: Engine) -> Iterator[TestClient]:
    with _client(engine, "https://exchange.example.org") as client:
        yield client


@pytest.fixture
def plain(engine: Engine) -> Iterator[TestClient]:
    with _client(engine, "http://127.0.0.1:8000") as client:
        yield client


def test_behind_tls_every_answer_carries_hsts_and_a_policy(behind_tls: TestClient) -> None:
    for path in PATHS:
        r = behind_tls.get(path)
        assert r.headers["strict-transport-security"] == f"max-age={limits.hsts_max_age_s}", path
        assert "default-src 'none'" in r.headers["content-security-policy"], path
        assert r.headers["x-content-type-options"] == "nosniff", path
    page = behind_tls.get("/catalog")
    assert page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_over_plain_http_no_answer_carries_hsts(plain: TestClient) -> None:
    for path in PATHS:
        r = plain.get(path)
        assert "strict-transport-security" not in r.headers, path
        assert "default-src 'none'" in r.headers["content-security-policy"], path


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "gzip, identity"])
def test_a_compressed_request_body_is_refused_with_415(plain: TestClient, coding: str) -> None:
    body = gzip.compress(json.dumps({"email": "a@example.org", "password": "x" * 12}).encode())
    r = plain.post(
        "/auth/login",
        content=body,
        headers={"content-type": "application/json", "content-encoding": coding},
    )
    assert r.status_code == 415
    assert r.json()["error"] == "unsupported_content_encoding"
    assert r.headers["accept-encoding"] == "identity"
    assert "default-src 'none'" in r.headers["content-security-policy"]


def test_an_identity_content_encoding_is_taken(plain: TestClient) -> None:
    r = plain.post(
        "/auth/login",
        json={"email": "nobody@example.org", "password": "x" * 12},
        headers={"content-encoding": "identity"},
    )
    assert r.status_code == 401
