"""The EIP-712 ``Evidence`` a party signs over one item it submits: which dispute, the kind of
item (``file`` or ``statement``), the SHA-256 of its bytes, its title and the time it was
submitted (unix seconds), under the exchange's domain (chain id, verifying contract). The
journal entry ``evidence.submitted`` holds the document's digest and the signature, so anyone
given the item's metadata recomputes the digest and recovers the signer (eth_account alone).
Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from marketplace.identity import signing

PRIMARY_TYPE: Final = "Evidence"
EVIDENCE_TYPES: Final = {
    PRIMARY_TYPE: [
        {"name": "disputeId", "type": "uint256"},
        {"name": "kind", "type": "string"},
        {"name": "sha256", "type": "bytes32"},
        {"name": "title", "type": "string"},
        {"name": "submittedAt", "type": "uint256"},
    ]
}


class EvidenceToSign(BaseModel):
    model_config = ConfigDict(frozen=True)

    dispute_id: int
    kind: str  # file | statement
    sha256: str  # 64 hex digits, of the plaintext
    title: str
    submitted_at: int  # unix seconds

    def message(self) -> dict[str, Any]:
        return {
            "disputeId": self.dispute_id,
            "kind": self.kind,
            "sha256": "0x" + self.sha256,
            "title": self.title,
            "submittedAt": self.submitted_at,
        }

    def typed_data(self, domain: Mapping[str, Any]) -> dict[str, Any]:
        return signing.typed_data_in(domain, PRIMARY_TYPE, EVIDENCE_TYPES, self.message())
