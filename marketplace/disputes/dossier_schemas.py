"""The dispute dossier as the console serves it (``GET /disputes/{id}/record``): every record in
time order with its verification status, checked live, the parties' statements and the buyer's
quality comparison (docs/disputes.md, "The dossier and its verification")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from marketplace.orders.schemas import QualityCheckView

SignatureStatus = Literal["valid", "invalid", "unsigned", "not_checked"]
HashStatus = Literal["matches", "differs", "missing", "not_applicable"]
AnchorStatus = Literal["anchored", "pending", "not_yet_anchored"]


class SignatureCheck(BaseModel):
    status: SignatureStatus
    signer: str | None = Field(default=None, description="The address the signature recovers to.")
    detail: str = ""


class HashCheck(BaseModel):
    status: HashStatus
    sha256: str | None = Field(default=None, description="SHA-256 of the stored bytes, decrypted.")
    detail: str = ""


class AnchorCheck(BaseModel):
    status: AnchorStatus
    batch: int | None = None
    block_number: int | None = None
    chain_id: int | None = None
    contract: str | None = None
    tx_hash: str | None = None
    anchored_at: datetime | None = Field(default=None, description="When the batch confirmed.")
    detail: str = ""


class EvidenceItem(BaseModel):
    id: int
    source: str = Field(description="party (a file or statement) or system (a record it holds)")
    side: str | None = None
    kind: str
    title: str
    media_type: str
    size_bytes: int
    sha256: str
    record_seq: int | None = Field(
        default=None, description="For the exchange's records: the journal entry attached."
    )
    record_kind: str | None = None
    record_anchor: AnchorCheck | None = None


class RecordView(BaseModel):
    """One journal entry of the case, oldest first: the dispute's own entries (opening, draw,
    rulings, votes, execution) and each ``evidence.submitted`` with its evidence item."""

    seq: int
    kind: str
    subject: str
    actor: str
    recorded_at: str
    payload: dict[str, Any]
    evidence: EvidenceItem | None = None
    signature: SignatureCheck
    hash: HashCheck
    anchor: AnchorCheck


class Statement(BaseModel):
    """A party's statement: the opener's (``evidence_id`` null, on its ``dispute.opened``
    entry) or one submitted as evidence."""

    evidence_id: int | None
    side: str | None
    title: str
    text: str
    seq: int


class DossierView(BaseModel):
    dispute_id: int
    order_id: int | None
    period: int | None = None  # the period disputed, on a subscription or metered order
    objection_id: int | None = None
    status: str
    reason: str
    round: int
    opener_side: str
    evidence_closes_at: datetime
    appeal_closes_at: datetime | None
    outcome: str | None
    supplier_bp: int | None
    terms_hash: str | None
    terms: dict[str, Any]
    records: list[RecordView]
    statements: list[Statement]
    quality_checks: list[QualityCheckView]
