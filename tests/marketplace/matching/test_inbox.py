"""A supplier's inbox over HTTP (``GET /demands/matched``): the open demands its own listings
match, best first, with the listings and why; nobody else's listing, no demand of its own;
verified suppliers only; pages that follow the cursor."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marketplace import limits
from marketplace.matching.service.matches import relevance_of, texts_of, token_weights
from marketplace.search import segmenter
from tests.marketplace.assets.helpers import Party, party
from tests.marketplace.matching.helpers import (
    AIR_CSV,
    CITY_CSV,
    listing_of,
    post_demand,
)

AIR = {
    "title": "Hangzhou air quality, hourly",
    "description": "PM2.5 by city, every hour",
    "keywords": ["air quality", "pm25"],
}
CITIES = {
    "title": "Zhejiang city populations",
    "description": "Population by city",
    "keywords": ["population", "city"],
}
FRUIT_DEMAND = {
    "title": "Wholesale fruit prices",
    "description": "Daily prices of apples and pears",
    "keywords": ["fruit", "apple"],
    "fields": [{"name": "apple_variety", "type": "string"}],
}


def inbox(api: TestClient, who: Party, **params: str | int) -> dict[str, object]:
    r = api.get("/demands/matched", params=params, headers=who.headers)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def test_a_supplier_sees_the_demand_its_listing_matches_with_that_listing_and_why(
    api: TestClient, supplier: Party, rival: Party, ops: Party, buyer: Party
) -> None:
    mine = listing_of(api, supplier, ops, AIR_CSV, **AIR)
    theirs = listing_of(api, rival, ops, CITY_CSV, **CITIES)
    air = post_demand(api, buyer)
    post_demand(api, buyer, **FRUIT_DEMAND)
    page = inbox(api, supplier)
    items = page["items"]
    assert isinstance(items, list)
    assert [i["demand"]["id"] for i in items] == [air["id"]]  # not the fruit demand
    assert items[0]["demand"]["buyer_organization_id"] is None  # who asks stays hidden
    matches = items[0]["matches"]
    assert [m["listing_id"] for m in matches] == [mine["id"]]  # never the rival's listing
    assert matches[0]["explanation"]["fields_missing"] == []
    assert matches[0]["listing"]["supplier_organization_id"] == supplier.organization_id
    assert items[0]["score"] == matches[0]["score"] > 0.5
    assert page["listings_scored"] == 1
    assert page["demands_scanned"] == 2
    # The rival's inbox holds the same demand with its own listing only (city, not pm25 or ts).
    other = inbox(api, rival)["items"]
    assert isinstance(other, list)
    assert [m["listing_id"] for m in other[0]["matches"]] == [theirs["id"]]
    assert other[0]["matches"][0]["explanation"]["fields_missing"] == ["pm25", "ts"]
    assert other[0]["score"] < items[0]["score"]


def test_a_demand_the_suppliers_own_organisation_posted_is_not_in_its_inbox(
    api: TestClient, rival: Party, ops: Party
) -> None:
    listing_of(api, rival, ops, AIR_CSV, **AIR)
    post_demand(api, rival)
    assert inbox(api, rival)["items"] == []


def test_a_supplier_without_listings_has_an_empty_inbox_and_scores_nothing(
    api: TestClient, supplier: Party, buyer: Party
) -> None:
    post_demand(api, buyer)
    page = inbox(api, supplier)
    assert page["items"] == []
    assert page["demands_scanned"] == 0
    assert page["next_cursor"] is None


def test_only_a_verified_supplier_has_an_inbox(api: TestClient, buyer: Party, ops: Party) -> None:
    unverified = party(api, "una@supplier.test", "Una Unverified", ["supplier"])
    for who in (unverified, buyer, ops):
        r = api.get("/demands/matched", headers=who.headers)
        assert r.status_code == 403, r.text
    assert api.get("/demands/matched").status_code == 401


def test_pages_of_the_inbox_follow_the_cursor_without_repeats(
    api: TestClient, supplier: Party, ops: Party, buyer: Party
) -> None:
    listing_of(api, supplier, ops, AIR_CSV, **AIR)
    ids = [post_demand(api, buyer, title=f"Hourly air quality {i}")["id"] for i in range(3)]
    first = inbox(api, supplier, limit=2)
    assert isinstance(first["items"], list)
    assert isinstance(first["next_cursor"], str)
    rest = inbox(api, supplier, limit=2, cursor=first["next_cursor"])
    assert rest["next_cursor"] is None
    assert isinstance(rest["items"], list)
    shown = [i["demand"]["id"] for i in first["items"] + rest["items"]]
    assert sorted(shown) == sorted(ids)  # every demand once
    scores = [i["score"] for i in first["items"] + rest["items"]]
    assert scores == sorted(scores, reverse=True)
    for bad in ("1 OR 1=1", "2.5:1", "0.5:-3", "0.5:\u00b2"):
        r = api.get("/demands/matched", params={"cursor": bad}, headers=supplier.headers)
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "invalid_demand"
    r = api.get("/demands/matched", params={"limit": 101}, headers=supplier.headers)
    assert r.status_code == 422


def test_the_token_map_gives_the_relevance_of_testing_each_word_against_each_text() -> None:
    texts = texts_of("Hangzhou air quality 杭州空气", ["pm25", "空气质量"], "readings by city")
    texts["columns"] = frozenset(segmenter.column_tokens("stationName"))
    phrases = ["air quality", "杭州空气质量", "station", "readings", "pm25 hourly", "rain", "city"]
    words = segmenter.words_of(phrases)
    weight = {"title": 1.0, "keywords": 1.0, "columns": 1.0, "description": 0.5}
    expected = sum(
        max((weight[k] for k, tokens in texts.items() if w.found_in(tokens)), default=0.0)
        for w in words
    ) / len(words)
    assert 0 < expected < 1
    assert relevance_of(words, texts) == pytest.approx(expected)
    assert relevance_of(words, texts, token_weights(texts)) == pytest.approx(expected)


def test_the_docs_name_the_inboxs_bounds_with_their_values() -> None:
    text = (Path(__file__).resolve().parents[3] / "docs" / "matching.md").read_text()
    section = text[text.index("## The supplier's inbox") :]
    for name in ("matching_inbox_demands_scanned_max", "matching_inbox_listings_max",
                 "matching_inbox_matches_shown_max", "matching_inbox_page_size_max"):  # fmt: skip
        assert f"`{name}` ({getattr(limits, name)})" in section or (
            f"`{name}`, {getattr(limits, name)}" in section
        ), name
