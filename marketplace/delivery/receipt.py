"""The buyer's receipt for one served download (EIP-712 ``DeliveryReceipt``): which licence and
order, the SHA-256 of the bytes served and the ``delivery.served`` entry that recorded them.
Acceptance reads it as the buyer's word that it received those bytes. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from ledger.verify.signer import RECEIPT_PRIMARY_TYPE, RECEIPT_TYPES
from marketplace.identity import signing


class DeliveryReceiptToSign(BaseModel):
    model_config = ConfigDict(frozen=True)

    licence_id: int
    order_id: int
    sha256: str  # 64 hex digits
    served_seq: int

    def message(self) -> dict[str, Any]:
        return {
            "licenceId": self.licence_id,
            "orderId": self.order_id,
            "sha256": "0x" + self.sha256,
            "servedSeq": self.served_seq,
        }

    def typed_data(self, domain: Mapping[str, Any]) -> dict[str, Any]:
        return signing.typed_data_in(domain, RECEIPT_PRIMARY_TYPE, RECEIPT_TYPES, self.message())
