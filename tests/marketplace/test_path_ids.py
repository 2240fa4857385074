"""Ids in paths are positive 64-bit integers written in ASCII digits (docs/api.md): ``1.0``,
`` 1`` or ``²`` is a 422, never read as id 1 and never a 500. Checked on every public route with
an id in its path, read from the app's own OpenAPI document, and on a buyer's order routes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import party

NOT_DIGITS = ("1.0", "%201", "%C2%B2", "1e0", "+1")


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    runtime = Runtime(settings=settings_for(engine), engine=engine)
    with TestClient(create_app(runtime=runtime)) as client:
        yield client


def _public_id_routes(api: TestClient) -> list[tuple[str, list[str]]]:
    """Public GET routes with integer path parameters: the path and those parameters' names."""
    spec = api.get("/openapi.json").json()
    found = []
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if get is None or "security" in get:
            continue
        ids = [
            p["name"]
            for p in get.get("parameters", [])
            if p["in"] == "path" and p["schema"].get("type") == "integer"
        ]
        if ids:
            found.append((path, ids))
    return found


def test_every_public_route_refuses_an_id_not_in_digits(api: TestClient) -> None:
    routes = _public_id_routes(api)
    assert ("/listings/{listing_id}", ["listing_id"]) in routes
    assert len(routes) > 5, routes
    for path, ids in routes:
        for bad in NOT_DIGITS:
            url = path
            for name in ids:
                url = url.replace("{" + name + "}", bad if name == ids[-1] else "1")
            url = re.sub(r"\{[^}]+\}", "x", url)  # any other parameter (a file name)
            r = api.get(url)
            assert r.status_code == 422, (url, r.status_code, r.text)
            assert set(r.json()) == {"error", "message"}, url


def test_a_buyers_order_routes_refuse_an_id_not_in_digits(api: TestClient) -> None:
    buyer = party(api, "bo@buyer.test", "Bo Buys", ["buyer"])
    for bad in NOT_DIGITS:
        r = api.get(f"/orders/{bad}", headers=buyer.headers)
        assert r.status_code == 422, (bad, r.text)
        r = api.post(f"/orders/{bad}/pay", headers={**buyer.headers, "Idempotency-Key": "k-1"})
        assert r.status_code == 422, (bad, r.text)
