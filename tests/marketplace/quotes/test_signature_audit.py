"""An outside audit of a signed quote: the supplier's EIP-712 signature over the quote, rebuilt
from the ``quote.offered`` entry with the documented ``Quote`` type (docs/quotes.md) and the
exchange's public domain, recovered with eth_account alone; the entry's terms hash recomputed
from the terms it holds (keccak256 of their RFC 8785 JSON)."""

from __future__ import annotations

import json
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import Party
from tests.marketplace.quotes.helpers import demand, listing, send_quote

QUOTE_TYPE = [
    {"name": "demandId", "type": "uint256"},
    {"name": "listingId", "type": "uint256"},
    {"name": "assetId", "type": "uint256"},
    {"name": "supplier", "type": "address"},
    {"name": "priceMinor", "type": "uint256"},
    {"name": "currency", "type": "string"},
    {"name": "termsHash", "type": "bytes32"},
    {"name": "validUntil", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


def _typed(domain: dict[str, Any], domain_types: list[Any], offer: dict[str, Any]) -> Any:
    message = {
        "demandId": offer["demand_id"],
        "listingId": offer["listing_id"],
        "assetId": offer["asset_id"],
        "supplier": offer["supplier"],
        "priceMinor": int(offer["price_minor"]),
        "currency": offer["currency"],
        "termsHash": offer["terms_hash"],
        "validUntil": offer["valid_until"],
        "nonce": int(offer["nonce"]),
        "deadline": offer["deadline"],
    }
    types = {"EIP712Domain": domain_types, "Quote": QUOTE_TYPE}
    return {"types": types, "primaryType": "Quote", "domain": domain, "message": message}


def test_a_quote_signature_recovers_the_supplier_from_the_journal_alone(
    api: TestClient, supplier: Party, ops: Party, buyer: Party
) -> None:
    offered_listing = listing(api, supplier, ops)
    quote = send_quote(api, supplier, demand(api, buyer), offered_listing["id"])
    r = api.get("/ledger/entries", params={"after_seq": quote["offer_seq"] - 1, "limit": 1})
    assert r.status_code == 200, r.text
    entry = r.json()["items"][0]
    assert entry["seq"] == quote["offer_seq"]
    assert entry["kind"] == "quote.offered"
    payload = entry["payload"]
    assert entry["signature"] == quote["signature"]
    assert entry["actor"].lower() == supplier.address.lower() == quote["signer"].lower()

    canonical = json.dumps(
        payload["terms"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert "0x" + keccak(canonical.encode()).hex() == quote["terms_hash"]

    # the quote repeats the listing's terms (its hash is of the terms alone; the listing's
    # terms_hash covers the whole signed listing offer)
    assert payload["terms"] == offered_listing["terms"]
    offer = payload["offer"]
    assert offer["terms_hash"] == quote["terms_hash"]
    domain = offered_listing["offer"]["domain"]  # the exchange's domain, public on every listing
    domain_types = offered_listing["offer"]["types"]["EIP712Domain"]
    signable = encode_typed_data(full_message=_typed(domain, domain_types, offer))
    assert Account.recover_message(signable, signature=entry["signature"]) == quote["signer"]
    tampered = {**offer, "price_minor": str(int(offer["price_minor"]) - 1)}
    signable = encode_typed_data(full_message=_typed(domain, domain_types, tampered))
    assert Account.recover_message(signable, signature=entry["signature"]) != quote["signer"]
