"""Every list endpoint bounds its page, generated from the app's own OpenAPI document: a route
answering a list (an array, or a page object with ``items``) takes a ``limit`` of at most
``page_size_max``, or is named below with the limit that bounds it. A new list endpoint without
either fails here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace import limits
from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import CSV, create, operator, party, upload, verify

# Lists bounded by a limit of their own, not by the caller's ``limit``.
BOUNDED_OTHERWISE = {
    "/auctions": "page_size_default (a listing's newest auctions)",
    "/assets/{asset_id}/valuations": "page_size_max (the asset's newest valuations)",
    "/books/payments": "books_payments_listed_max",
    "/disputes/{dispute_id}/evidence": "evidence_items_per_side_max and evidence_records_max",
}


def _list_routes(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    schemas = spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        content = get["responses"].get("200", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        if (
            schema.get("type") == "array"
            or schema.get("properties", {}).get("items", {}).get("type") == "array"
        ):
            yield path, get


def _limit_max(operation: dict[str, Any]) -> int | None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and parameter["name"] == "limit":
            maximum: int | None = parameter["schema"].get("maximum")
            return maximum
    return None


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    runtime = Runtime(settings=settings_for(engine), engine=engine)
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as client:
        yield client


def test_every_list_route_caps_its_page(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    routes = dict(_list_routes(spec))
    assert len(routes) > 20  # the generator found the list routes
    unbounded = [
        path
        for path, operation in routes.items()
        if path not in BOUNDED_OTHERWISE
        and (_limit_max(operation) or limits.page_size_max + 1) > limits.page_size_max
    ]
    assert unbounded == []
    assert set(BOUNDED_OTHERWISE) <= set(routes)


def test_a_limit_past_the_cap_is_refused_on_every_list_route(api: TestClient) -> None:
    ops = operator(api, api.app.state.runtime)
    spec = api.get("/openapi.json").json()
    refused = []
    for path, operation in _list_routes(spec):
        if _limit_max(operation) is None:
            continue
        url = path.replace("{", "").replace("}", "")  # ids are checked after the limit
        for name in ("asset_id", "order_id", "demand_id", "listing_id", "dispute_id"):
            url = url.replace(name, "1")
        r = api.get(url, params={"limit": limits.page_size_max + 1}, headers=ops.headers)
        refused.append((path, r.status_code, r.json()["error"], "limit" in r.json()["message"]))
    assert len(refused) > 10
    assert [r for r in refused if r[1:] != (422, "invalid_request", True)] == []


def test_an_assets_revisions_come_a_page_at_a_time(api: TestClient, engine: Engine) -> None:
    ops = operator(api, api.app.state.runtime)
    owner = party(api, "sam@supplier.test", "Sam Data", ["supplier"])
    verify(api, ops, owner)
    asset_id = create(api, owner)["id"]
    for n in range(3):
        assert upload(api, owner, asset_id, CSV + f"{n},x,1\n".encode()).status_code == 201
    path = f"/assets/{asset_id}/revisions"
    first = api.get(path, params={"limit": 2}, headers=owner.headers).json()
    rest = api.get(path, params={"limit": 2, "offset": 2}, headers=owner.headers).json()
    assert [r["number"] for r in first] == [1, 2]
    assert [r["number"] for r in rest] == [3]
