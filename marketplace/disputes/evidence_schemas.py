"""API shapes of evidence: a statement to submit, and an item as the parties, the drawn
arbitrators and operators see it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from marketplace import limits


class StatementCreate(BaseModel):
    """A written statement. A self-custody submitter signs the ``Evidence`` document itself
    (kind ``statement``, the SHA-256 of the text's UTF-8 bytes, the title, ``submitted_at``) and
    sends ``signature`` and ``submitted_at``; a custodial one sends neither."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=limits.dispute_statement_chars_max)
    title: str = Field(
        default="Statement", min_length=1, max_length=limits.evidence_title_chars_max
    )
    signature: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{130}$")
    submitted_at: int | None = Field(default=None, ge=0, le=2**63 - 1)


class EvidencePublic(BaseModel):
    """One item. A party's (``source`` ``party``): ``kind`` is ``file`` or ``statement``,
    ``sha256`` is of the plaintext, ``typed_data`` is the EIP-712 ``Evidence`` document its
    submitter signed (``signer``, ``signature``) and ``digest`` its EIP-712 digest, as journaled
    in ``evidence.submitted`` (``journal_seq``). The exchange's (``source`` ``system``): ``kind``
    is the journal kind of the record, ``record_seq`` its entry (whose receipt proves it), and
    ``sha256`` that of the entry's RFC 8785 canonical JSON, which ``/file`` serves."""

    id: int
    dispute_id: int
    source: str
    side: str | None
    kind: str
    title: str
    media_type: str
    size_bytes: int
    sha256: str
    record_seq: int | None
    signer: str | None
    signature: str | None
    digest: str | None
    journal_seq: int
    submitted_at: datetime
    typed_data: dict[str, Any] | None


class EvidenceList(BaseModel):
    items: list[EvidencePublic]
    evidence_closes_at: datetime
