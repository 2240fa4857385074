"""The buyer's signed re-check of an order's file (EIP-712 ``QualityCheck``): which order, the
SHA-256 of the content received, the anchored quality report it was compared with (its hash and
journal seq), the verdict and the hash of the per-dimension differences. Acceptance and disputes
cite it. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from marketplace.identity import signing

Verdict = Literal["matches", "differs"]
PRIMARY_TYPE: Final = "QualityCheck"
CHECK_TYPES: Final = {
    PRIMARY_TYPE: [
        {"name": "orderId", "type": "uint256"},
        {"name": "fileSha256", "type": "bytes32"},
        {"name": "reportHash", "type": "bytes32"},
        {"name": "reportSeq", "type": "uint256"},
        {"name": "verdict", "type": "string"},
        {"name": "differencesHash", "type": "bytes32"},
    ]
}


class QualityCheckToSign(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_id: int
    file_sha256: str  # 64 hex digits
    report_hash: str  # 0x + 64 hex digits
    report_seq: int
    verdict: Verdict
    differences_hash: str  # 0x + 64 hex digits

    def message(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id,
            "fileSha256": "0x" + self.file_sha256,
            "reportHash": self.report_hash,
            "reportSeq": self.report_seq,
            "verdict": self.verdict,
            "differencesHash": self.differences_hash,
        }

    def typed_data(self, domain: Mapping[str, Any]) -> dict[str, Any]:
        return signing.typed_data_in(domain, PRIMARY_TYPE, CHECK_TYPES, self.message())
