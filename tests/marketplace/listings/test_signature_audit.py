"""An outside audit of signed listings and orders: the supplier's EIP-712 signature on a listing,
and the buyer's on an order, recovered with eth_account alone (not marketplace.identity), and
the journal entries checked to commit to them (``listing.created`` to the same terms hash,
``order.placed`` to the order's EIP-712 digest); the listing's terms hash recomputed from the
entry (keccak256 of its RFC 8785 JSON)."""

from __future__ import annotations

import json
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import Party
from tests.marketplace.listings.helpers import approved, create_listing
from tests.marketplace.orders.helpers import place

#: The fields of ``listing.created`` the terms hash covers (docs/listings.md).
OFFER_FIELDS = (
    "asset_id",
    "revision",
    "content_hash",
    "supplier",
    "terms",
    "price_model",
    "currency",
)


def recover(typed_data: dict[str, Any], signature: str) -> str:
    signable = encode_typed_data(full_message=typed_data)
    signer: str = Account.recover_message(signable, signature=signature)
    return signer


def jcs_keccak(document: dict[str, Any]) -> str:
    """keccak256 of the document's RFC 8785 JSON (for strings, integers, booleans and null,
    sorted keys and no whitespace)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "0x" + keccak(text.encode()).hex()


def entry(api: TestClient, seq: int) -> dict[str, Any]:
    r = api.get("/ledger/entries", params={"after_seq": seq - 1, "limit": 1})
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()["items"][0]
    assert found["seq"] == seq
    return found


def test_a_listing_signature_recovers_its_signer_and_the_journal_commits_to_its_terms(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    listing_id = create_listing(api, supplier, approved(api, supplier, ops))["id"]
    r = api.get(f"/listings/{listing_id}")  # public: no login
    assert r.status_code == 200, r.text
    listing = r.json()
    assert listing["signer"].lower() == supplier.address.lower()
    assert recover(listing["offer"], listing["signature"]).lower() == supplier.address.lower()
    message = listing["offer"]["message"]
    assert message["termsHash"].lower() == listing["terms_hash"].lower()
    assert message["supplier"].lower() == supplier.address.lower()

    created = entry(api, listing["journal_seq"])
    assert created["kind"] == "listing.created"
    payload = created["payload"]
    assert payload["terms_hash"] == listing["terms_hash"]
    assert created["signature"] == listing["signature"]
    assert recover(listing["offer"], created["signature"]).lower() == created["actor"].lower()
    assert jcs_keccak({k: payload[k] for k in OFFER_FIELDS}) == listing["terms_hash"]
    # what was signed is what the journal holds, field by field
    assert message["assetId"] == payload["asset_id"] == listing["asset_id"]
    assert message["purposes"] == payload["terms"]["purposes"]
    assert message["exclusive"] == payload["terms"]["exclusive"]
    domain = listing["offer"]["domain"]
    assert domain["chainId"] == payload["chain_id"]
    assert domain["verifyingContract"].lower() == payload["verifying_contract"].lower()


def test_an_altered_listing_offer_no_longer_recovers_its_signer(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    listing = create_listing(api, supplier, approved(api, supplier, ops))
    offer = listing["offer"]
    offer["message"]["exclusive"] = not offer["message"]["exclusive"]
    assert recover(offer, listing["signature"]).lower() != supplier.address.lower()


def test_an_order_signature_recovers_the_buyer_and_the_journal_commits_to_it(
    api: TestClient, supplier: Party, ops: Party, rival: Party
) -> None:
    listing = create_listing(api, supplier, approved(api, supplier, ops))
    order_id = place(api, rival, listing["id"])["id"]
    r = api.get(f"/orders/{order_id}", headers=rival.headers)
    assert r.status_code == 200, r.text
    order = r.json()
    signed = order["buyer_signature"]
    assert signed["signer"].lower() == rival.address.lower()
    assert recover(order["signed_order"], signed["signature"]).lower() == rival.address.lower()
    message = order["signed_order"]["message"]
    assert order["terms_hash"] == listing["terms_hash"]
    assert message["termsHash"].lower() == order["terms_hash"].lower()

    placed = entry(api, order["placed_seq"])  # public: read with no login
    assert placed["kind"] == "order.placed"
    payload = placed["payload"]
    assert set(payload) == {"order_id", "listing_id", "source", "source_id", "order_digest"}
    assert placed["signature"] == signed["signature"]
    assert placed["actor"].lower() == rival.address.lower()
    assert message["priceMinor"] == order["price_minor"]
    # the entry commits to what the buyer signed: its EIP-712 digest, recomputed here
    signable = encode_typed_data(full_message=order["signed_order"])
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert payload["order_digest"] == "0x" + digest.hex()
    assert recover(order["signed_order"], placed["signature"]).lower() == rival.address.lower()
