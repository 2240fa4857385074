"""GET /listings: catalog search over HTTP, without login; bad input is a 4xx, never a 500.

The listings are created through the API; each is put in the search index here, through the
search library, with the words a buyer searches for (the listings domain does the same on every
change once it indexes)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace import limits
from marketplace.runtime import Runtime
from marketplace.search import service as search
from tests.marketplace.assets.helpers import Party
from tests.marketplace.listings.helpers import approved, create_listing, terms
from tests.marketplace.search.catalog import index_listing


@pytest.fixture
def catalog(api: TestClient, supplier: Party, ops: Party, asset_runtime: Runtime) -> dict[str, int]:
    """Three listings of two assets: a Chinese one (research and commercial licences) and an
    English one."""
    air = approved(api, supplier, ops, title="杭州市空气质量监测数据")
    research = create_listing(api, supplier, air)
    commercial = create_listing(
        api,
        supplier,
        air,
        terms=terms(purposes=["commercial"]),
        price_model={"kind": "fixed", "amount_minor": 900_000},
    )
    traffic = approved(api, supplier, ops, title="Shanghai traffic flow")
    english = create_listing(api, supplier, traffic)
    for listing in (research, commercial):
        index_listing(
            asset_runtime.engine,
            listing,
            title="杭州市空气质量监测数据",
            keywords=["空气质量"],
            columns=["city", "pm25", "ts"],
            theme="environment",
            update_frequency="daily",
            quality_score=91.0,
        )
    index_listing(
        asset_runtime.engine,
        english,
        title="Shanghai traffic flow",
        columns=["road", "flow"],
        theme="transport",
        quality_score=70.0,
    )
    return {"research": research["id"], "commercial": commercial["id"], "traffic": english["id"]}


def _ids(api: TestClient, **params: Any) -> list[int]:
    r = api.get("/listings", params=params)
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


def test_a_chinese_query_finds_listings_with_price_and_terms_without_login(
    api: TestClient, catalog: dict[str, int]
) -> None:
    r = api.get("/listings", params={"q": "空气质量"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {item["id"] for item in body["items"]} == {catalog["research"], catalog["commercial"]}
    first = body["items"][0]
    assert first["price_plain"]
    assert first["terms_plain"]
    assert body["next_cursor"] is None


def test_filters_and_orders_reach_the_search(api: TestClient, catalog: dict[str, int]) -> None:
    assert _ids(api, q="空气质量", purpose="commercial") == [catalog["commercial"]]
    assert _ids(api, theme="transport") == [catalog["traffic"]]
    assert _ids(api, price_min_minor=500_000) == [catalog["commercial"]]
    assert _ids(api, quality_min=80, sort="price_desc") == [
        catalog["commercial"],
        catalog["research"],
    ]
    assert _ids(api, update_frequency="daily", sort="price_asc") == [
        catalog["research"],
        catalog["commercial"],
    ]


def test_pages_follow_the_cursor_to_the_end(api: TestClient, catalog: dict[str, int]) -> None:
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 1, "sort": "recent"}
    for _ in range(4):
        r = api.get("/listings", params=params)
        assert r.status_code == 200, r.text
        seen += [item["id"] for item in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
        params = {**params, "cursor": cursor}
    assert seen == sorted(catalog.values(), reverse=True)


def test_a_listing_whose_asset_is_not_listed_is_not_found(
    api: TestClient, catalog: dict[str, int], asset_runtime: Runtime
) -> None:
    traffic = api.get(f"/listings/{catalog['traffic']}").json()
    with Session(asset_runtime.engine) as session:
        search.set_asset_state(session, traffic["asset_id"], visible=False, under_objection=False)
        session.commit()
    assert _ids(api, q="traffic") == []


@pytest.mark.parametrize(
    "q",
    ['"', "*", "NEAR(air", "air AND", "((", ")", "title:x", "^x", "-", "'", "\\", '空气质量"'],
)
def test_search_syntax_in_the_words_is_never_an_error(
    api: TestClient, catalog: dict[str, int], q: str
) -> None:
    r = api.get("/listings", params={"q": q})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * (limits.search_query_length_max + 1)},
        {"limit": 0},
        {"limit": limits.page_size_max + 1},
        {"price_min_minor": -1},
        {"price_max_minor": 2**63},
        {"price_min_minor": 10, "price_max_minor": 5},
        {"quality_min": 101},
        {"purpose": "world_domination"},
        {"update_frequency": "hourly"},
        {"sort": "cheapest"},
        {"theme": ""},
        {"colour": "red"},
    ],
)
def test_bad_search_parameters_are_a_422_naming_the_problem(
    api: TestClient, params: dict[str, Any]
) -> None:
    r = api.get("/listings", params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid_request"
    assert body["message"]


@pytest.mark.parametrize("cursor", ["garbage", "e30", "eyJ2IjoxfQ", "A" * 40])
def test_a_bad_cursor_is_a_422(api: TestClient, catalog: dict[str, int], cursor: str) -> None:
    r = api.get("/listings", params={"cursor": cursor})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_cursor"


def test_a_cursor_from_another_search_is_a_422(api: TestClient, catalog: dict[str, int]) -> None:
    first = api.get("/listings", params={"limit": 1}).json()
    assert first["next_cursor"]
    r = api.get("/listings", params={"limit": 1, "q": "traffic", "cursor": first["next_cursor"]})
    assert r.status_code == 422, r.text
    assert "other words, filters or order" in r.json()["message"]
