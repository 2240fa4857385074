"""The order a buyer signs (EIP-712): what it buys, for what purpose, at what price, under which
terms (the listing's terms hash), with a nonce and a deadline against replay.

Pure: no database, clock or network. The same document is signed by a custodial buyer's key on
the server or by a self-custody buyer locally (``POST /orders/draft`` hands it out), checked on
placement, and kept in the ``order.placed`` journal entry so anyone can verify it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from marketplace.identity import signing

PRIMARY_TYPE: Final = "Order"
ORDER_TYPES: Final = {
    PRIMARY_TYPE: [
        {"name": "listingId", "type": "uint256"},
        {"name": "assetId", "type": "uint256"},
        {"name": "buyer", "type": "address"},
        {"name": "purpose", "type": "string"},
        {"name": "quantity", "type": "uint64"},
        {"name": "priceMinor", "type": "uint256"},
        {"name": "currency", "type": "string"},
        {"name": "source", "type": "string"},
        {"name": "sourceId", "type": "uint256"},
        {"name": "termsHash", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}

Source = Literal["listing", "quote", "auction"]
ZERO_HASH: Final = "0x" + "00" * 32


def bytes32(hex_digest: str | None) -> str:
    """A 32-byte hash as 0x-hex (the zero hash for none); a 64-hex-digit digest with or without
    its 0x."""
    if not hex_digest:
        return ZERO_HASH
    digits = hex_digest.removeprefix("0x").lower()
    assert len(digits) == 64, "a terms hash is 32 bytes"
    return "0x" + digits


class OrderToSign(BaseModel):
    """The signed fields of an order, as its message holds them."""

    model_config = ConfigDict(frozen=True)

    listing_id: int
    asset_id: int
    buyer: str
    purpose: str
    quantity: int
    price_minor: int
    currency: str
    source: str  # listing | quote | auction
    source_id: int  # 0 for a purchase straight from the listing
    terms_hash: str
    nonce: int
    deadline: int

    def message(self) -> dict[str, Any]:
        return {
            "listingId": self.listing_id,
            "assetId": self.asset_id,
            "buyer": self.buyer,
            "purpose": self.purpose,
            "quantity": self.quantity,
            "priceMinor": self.price_minor,
            "currency": self.currency,
            "source": self.source,
            "sourceId": self.source_id,
            "termsHash": bytes32(self.terms_hash),
            "nonce": self.nonce,
            "deadline": self.deadline,
        }

    def typed_data(self, domain: Mapping[str, Any]) -> dict[str, Any]:
        """The full EIP-712 document under the exchange's ``domain``."""
        return signing.typed_data_in(domain, PRIMARY_TYPE, ORDER_TYPES, self.message())
