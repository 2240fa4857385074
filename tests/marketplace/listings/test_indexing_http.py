"""The catalog search index follows listings and their assets (``listings/indexing.py``): a new
listing is found by its asset's words and columns, with its price and terms; pausing, withdrawing,
delisting and suspension hide it; resuming and relisting show it again; an objection flags it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import Party
from tests.marketplace.assets.test_objections_http import file as file_objection
from tests.marketplace.listings.helpers import approved, create_listing


def _found(api: TestClient, **params: Any) -> list[int]:
    r = api.get("/listings", params=params)
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


def test_a_new_listing_is_found_by_words_columns_and_filters(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    listing = create_listing(
        api, supplier, approved(api, supplier, ops, title="杭州市空气质量监测数据")
    )

    assert _found(api, q="空气质量") == [listing["id"]]
    assert _found(api, q="price") == [listing["id"]]  # a column of the CSV
    assert _found(api, q="fruit", purpose="research") == [listing["id"]]
    assert _found(api, q="fruit", purpose="commercial") == []
    assert _found(api, price_max_minor=100_000) == []
    page = api.get("/listings", params={"q": "水果"}).json()
    assert page["items"][0]["price_plain"] == "1,250.00 CNY, paid once"
    assert page["next_cursor"] is None


def test_search_syntax_in_the_words_never_fails(api: TestClient) -> None:
    for q in ('"unbalanced', "a*", "NEAR(x y)", "((", "x OR", "-:^"):
        assert api.get("/listings", params={"q": q}).status_code == 200
    assert api.get("/listings", params={"sort": "sideways"}).status_code == 422
    assert api.get("/listings", params={"cursor": "garbage"}).status_code == 422


def test_pausing_withdrawing_and_resuming_follow_the_index(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    listing = create_listing(api, supplier, approved(api, supplier, ops))
    path = f"/listings/{listing['id']}"

    assert api.post(f"{path}/pause", headers=supplier.headers).is_success
    assert _found(api, q="fruit") == []
    assert api.post(f"{path}/resume", headers=supplier.headers).is_success
    assert _found(api, q="fruit") == [listing["id"]]
    assert api.post(f"{path}/withdraw", headers=supplier.headers).is_success
    assert _found(api, q="fruit") == []


def test_the_assets_state_follows_the_index(
    api: TestClient, ops: Party, supplier: Party, rival: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    listing = create_listing(api, supplier, asset_id)

    assert api.post(f"/assets/{asset_id}/delist", headers=supplier.headers).is_success
    assert _found(api, q="fruit") == []
    assert api.post(f"/assets/{asset_id}/list", headers=supplier.headers).is_success
    assert _found(api, q="fruit") == [listing["id"]]

    assert file_objection(api, rival, asset_id).status_code == 201
    (shown,) = api.get("/listings", params={"q": "fruit"}).json()["items"]
    assert shown["under_objection"] is True

    r = api.post(f"/assets/{asset_id}/suspend", json={"reason": "court order"}, headers=ops.headers)
    assert r.status_code == 200, r.text
    assert _found(api, q="fruit") == []
    r = api.post(f"/assets/{asset_id}/reinstate", json={"reason": "lifted"}, headers=ops.headers)
    assert r.status_code == 200, r.text
    assert _found(api, q="fruit") == [listing["id"]]


def test_relisting_after_a_metadata_change_finds_the_new_words(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    listing = create_listing(api, supplier, asset_id)
    r = api.patch(
        f"/assets/{asset_id}", json={"title": "Vegetable prices"}, headers=supplier.headers
    )
    assert r.status_code == 200, r.text
    assert _found(api, q="fruit") == []  # back in draft: not found at all
    assert api.post(f"/assets/{asset_id}/submit", json={}, headers=supplier.headers).is_success
    from tests.marketplace.assets.helpers import review

    assert review(api, ops, asset_id, "approved").status_code == 201
    assert api.post(f"/assets/{asset_id}/list", headers=supplier.headers).is_success

    assert _found(api, q="vegetable") == [listing["id"]]
    assert _found(api, q="fruit", sort="recent") == [listing["id"]]  # keywords still say fruit
