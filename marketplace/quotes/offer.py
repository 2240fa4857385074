"""The offer a supplier signs when it sends a quote (EIP-712), as a typed value (pure).

The offer binds the demand, the listing and its asset, the supplier's address, the price in
minor units and its currency, the hash of the terms (keccak256 of their RFC 8785 canonical
JSON), the moment the quote stops being valid, and a (nonce, deadline) pair so that a signed
offer is accepted once and only soon after it was signed. Its JSON form (``document``) is what
the journal's ``quote.offered`` entry stores, with the signature in the entry's own field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from marketplace.identity import signing
from marketplace.listings.terms import terms_hash

PRIMARY_TYPE: Final = "Quote"
QUOTE_TYPES: Final = {
    PRIMARY_TYPE: [
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
}


class QuoteOffer(BaseModel):
    """What the supplier signs. ``valid_until`` and ``deadline`` are unix seconds; the nonce is
    a decimal string, and so is the price in the JSON form (canonical JSON holds integers only
    up to 2**53; a price may reach 2**63-1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    demand_id: int
    listing_id: int
    asset_id: int
    supplier: str
    price_minor: int
    currency: str
    terms_hash: str
    valid_until: int
    nonce: str
    deadline: int

    def document(self) -> dict[str, Any]:
        """The JSON form a quote's parties read (``QuotePublic.offer``)."""
        return {**self.model_dump(mode="json"), "price_minor": str(self.price_minor)}

    def typed_data(self, domain: Mapping[str, Any]) -> dict[str, Any]:
        message = {
            "demandId": self.demand_id,
            "listingId": self.listing_id,
            "assetId": self.asset_id,
            "supplier": self.supplier,
            "priceMinor": self.price_minor,
            "currency": self.currency,
            "termsHash": bytes.fromhex(self.terms_hash.removeprefix("0x")),
            "validUntil": self.valid_until,
            "nonce": int(self.nonce),
            "deadline": self.deadline,
        }
        return signing.typed_data_in(domain, PRIMARY_TYPE, QUOTE_TYPES, message)


__all__ = ["PRIMARY_TYPE", "QUOTE_TYPES", "QuoteOffer", "terms_hash"]
