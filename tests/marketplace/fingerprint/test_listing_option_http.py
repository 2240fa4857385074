"""The listing's fingerprint option: off unless asked, allowed for uploaded CSV tables only,
and shown wherever the listing is."""

from __future__ import annotations

from fastapi.testclient import TestClient

from marketplace.listings.schemas import FINGERPRINT_NOTE
from tests.marketplace.assets.helpers import Party, create, review, upload
from tests.marketplace.listings.helpers import approved, create_listing, post_listing, terms


def test_a_listing_is_not_fingerprinted_unless_asked(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    listing = create_listing(api, supplier, approved(api, supplier, ops))
    assert listing["fingerprint"] is False


def test_a_fingerprinted_csv_listing_says_so_in_its_json_and_on_the_asset_page(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    listing = create_listing(api, supplier, asset_id, fingerprint=True)
    assert listing["fingerprint"] is True
    assert api.get(f"/listings/{listing['id']}").json()["fingerprint"] is True
    page = api.get(f"/catalog/{asset_id}")
    assert page.status_code == 200
    assert FINGERPRINT_NOTE in page.text


def test_a_json_lines_asset_cannot_be_fingerprinted_and_nothing_is_listed(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = int(create(api, supplier)["id"])
    r = upload(api, supplier, asset_id, b'{"a": 1.25}\n{"a": 2.5}\n', fmt="jsonl")
    assert r.status_code == 201, r.text
    assert api.post(f"/assets/{asset_id}/submit", json={}, headers=supplier.headers).is_success
    assert review(api, ops, asset_id, "approved").status_code == 201

    r = post_listing(api, supplier, asset_id, fingerprint=True)
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_terms"
    assert "uploaded CSV tables only" in r.json()["message"]
    assert api.get(f"/assets/{asset_id}", headers=supplier.headers).json()["status"] == "approved"


def test_a_key_wrapped_listing_cannot_be_fingerprinted_and_nothing_is_listed(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    # A key-wrapped download serves the stored ciphertext, which carries no mark: a listing
    # must not promise buyers and the supplier a fingerprint its downloads cannot keep.
    asset_id = approved(api, supplier, ops)
    wrapped = terms(delivery_mode="key_wrapped")
    r = post_listing(api, supplier, asset_id, fingerprint=True, terms=wrapped)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_terms"
    assert "key_wrapped" in r.json()["message"]
    assert api.get(f"/assets/{asset_id}", headers=supplier.headers).json()["status"] == "approved"


def test_the_option_must_be_a_boolean(api: TestClient, ops: Party, supplier: Party) -> None:
    r = post_listing(api, supplier, approved(api, supplier, ops), fingerprint="yes")
    assert r.status_code == 422
