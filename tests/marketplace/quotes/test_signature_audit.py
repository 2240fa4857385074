"""An outside audit of a signed quote by one of its parties: the offer its quote view shows,
rebuilt with the documented ``Quote`` type (docs/quotes.md) and the exchange's public domain,
hashed with eth_account alone and compared with the digest the public ``quote.offered`` entry
holds; the supplier's signature recovered from the entry; the terms hash recomputed from the
terms the view shows (keccak256 of their RFC 8785 JSON). The public entry shows no price."""

from __future__ import annotations

import json
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient

from tests.ledger.helpers import public_text
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


def _digest(signable: Any) -> str:
    return "0x" + keccak(b"\x19" + signable.version + signable.header + signable.body).hex()


def test_a_party_checks_its_quote_against_the_public_entry_with_eth_account_alone(
    api: TestClient, supplier: Party, ops: Party, buyer: Party
) -> None:
    offered_listing = listing(api, supplier, ops)
    sent = send_quote(api, supplier, demand(api, buyer), offered_listing["id"])
    quote = api.get(f"/quotes/{sent['id']}", headers=buyer.headers).json()  # the buyer's view
    r = api.get("/ledger/entries", params={"after_seq": quote["offer_seq"] - 1, "limit": 1})
    assert r.status_code == 200, r.text
    entry = r.json()["items"][0]  # read with no login
    assert entry["seq"] == quote["offer_seq"]
    assert entry["kind"] == "quote.offered"
    assert str(quote["price_minor"]) not in public_text(entry["payload"])
    assert "terms" not in entry["payload"]
    assert entry["signature"] == quote["signature"]
    assert entry["actor"].lower() == supplier.address.lower() == quote["signer"].lower()

    canonical = json.dumps(
        quote["terms"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert "0x" + keccak(canonical.encode()).hex() == quote["terms_hash"]
    # the quote repeats the listing's terms (its hash is of the terms alone; the listing's
    # terms_hash covers the whole signed listing offer)
    assert quote["terms"] == offered_listing["terms"]
    offer = quote["offer"]
    assert offer["terms_hash"] == quote["terms_hash"]
    domain = offered_listing["offer"]["domain"]  # the exchange's domain, public on every listing
    domain_types = offered_listing["offer"]["types"]["EIP712Domain"]
    signable = encode_typed_data(full_message=_typed(domain, domain_types, offer))
    assert _digest(signable) == entry["payload"]["offer_digest"]
    assert Account.recover_message(signable, signature=entry["signature"]) == quote["signer"]
    tampered = {**offer, "price_minor": str(int(offer["price_minor"]) - 1)}
    signable = encode_typed_data(full_message=_typed(domain, domain_types, tampered))
    assert _digest(signable) != entry["payload"]["offer_digest"]
    assert Account.recover_message(signable, signature=entry["signature"]) != quote["signer"]
