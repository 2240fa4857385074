"""The offer a supplier signs (EIP-712 ``ListingOffer``): the asset and the registered revision
listed (with its content hash), every term in readable fields, the price model, the currency,
and the terms hash that binds them all, with a nonce and a deadline against replay.

``terms_hash`` is keccak256 of the RFC 8785 JSON of the offer without nonce and deadline, so two
offers of the same asset, revision, terms, price and currency have the same hash (a duplicate
listing is refused by it). Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ledger.canonical import canonical_json, keccak256
from marketplace.identity import signing
from marketplace.listings import price_models
from marketplace.listings.price_models import PriceModel
from marketplace.listings.terms import Terms

ZERO_HASH: Final = "0x" + "00" * 32

OFFER_TYPES: Final = {
    "ListingOffer": [
        {"name": "assetId", "type": "uint256"},
        {"name": "revision", "type": "uint64"},
        {"name": "contentHash", "type": "bytes32"},
        {"name": "supplier", "type": "address"},
        {"name": "purposes", "type": "string[]"},
        {"name": "licenceDurationDays", "type": "uint32"},
        {"name": "territory", "type": "string[]"},
        {"name": "redistribution", "type": "bool"},
        {"name": "derivatives", "type": "bool"},
        {"name": "maxDownloads", "type": "uint64"},
        {"name": "exclusive", "type": "bool"},
        {"name": "deliveryMode", "type": "string"},
        {"name": "acceptanceWindowH", "type": "uint32"},
        {"name": "disputeWindowH", "type": "uint32"},
        {"name": "priceModel", "type": "string"},
        {"name": "currency", "type": "string"},
        {"name": "termsHash", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


@dataclass(frozen=True)
class Offer:
    """An offer before it is signed: what it lists and under what."""

    asset_id: int
    revision: int
    content_hash: str | None  # the revision's SHA-256 (hex), None for an external source
    supplier: str
    terms: Terms
    price_model: PriceModel
    currency: str

    def document(self) -> dict[str, Any]:
        """The JSON form (journal payload): amounts as strings."""
        return {
            "asset_id": self.asset_id,
            "revision": self.revision,
            "content_hash": hash_or_zero(self.content_hash),
            "terms": self.terms.model_dump(mode="json"),
            "price_model": price_models.journal_form(self.price_model),
            "currency": self.currency,
        }

    def terms_hash(self) -> str:
        return "0x" + keccak256(canonical_json(self.document())).hex()

    def typed_data(self, domain: Mapping[str, Any], *, nonce: int, deadline: int) -> dict[str, Any]:
        terms = self.terms
        message = {
            "assetId": self.asset_id,
            "revision": self.revision,
            "contentHash": bytes.fromhex(hash_or_zero(self.content_hash)[2:]),
            "supplier": self.supplier,
            "purposes": [p.value for p in terms.purposes],
            "licenceDurationDays": terms.licence_duration_days,
            "territory": list(terms.territory),
            "redistribution": terms.redistribution,
            "derivatives": terms.derivatives,
            "maxDownloads": terms.max_downloads or 0,
            "exclusive": terms.exclusive,
            "deliveryMode": terms.delivery_mode,
            "acceptanceWindowH": terms.acceptance_window_h,
            "disputeWindowH": terms.dispute_window_h,
            "priceModel": canonical_json(price_models.journal_form(self.price_model)).decode(),
            "currency": self.currency,
            "termsHash": bytes.fromhex(self.terms_hash()[2:]),
            "nonce": nonce,
            "deadline": deadline,
        }
        return signing.typed_data_in(domain, "ListingOffer", OFFER_TYPES, message)


def hash_or_zero(hex_digest: str | None) -> str:
    return ZERO_HASH if not hex_digest else "0x" + hex_digest.removeprefix("0x")


__all__ = ["OFFER_TYPES", "Offer", "hash_or_zero"]
