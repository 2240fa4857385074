"""Dispute request and response shapes (docs/disputes.md, docs/api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from marketplace import limits
from marketplace.disputes.models import Outcome, Reason


class DisputeOpen(BaseModel):
    """``POST /orders/{id}/disputes``: why, and the opener's statement; ``period``, the number of
    the period disputed, for a subscription or metered order (required for one, refused for any
    other order: docs/disputes.md, "Disputes of one period")."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason
    period: int | None = Field(default=None, ge=1, le=limits.id_max, strict=True)
    statement: str = Field(min_length=1, max_length=limits.dispute_statement_chars_max)


class ObjectionEscalation(BaseModel):
    """``POST /assets/{asset_id}/objections/{objection_id}/escalate``: the escalating side's
    statement (docs/disputes.md, "Ownership objections")."""

    model_config = ConfigDict(extra="forbid")

    statement: str = Field(min_length=1, max_length=limits.dispute_statement_chars_max)


class RulingBody(BaseModel):
    """A ruling (``POST /disputes/{id}/ruling``) or a panel member's vote (``.../votes``).
    ``supplier_bp`` is the supplier's share in basis points: 10,000 for ``release`` and 0 for
    ``refund`` (either may be left out), 0 to 10,000 for ``split``. A custodial arbitrator sends
    no signature (the exchange signs with its key); a self-custody one signs the EIP-712
    ``Ruling`` (docs/disputes.md) and sends the signature with its nonce and deadline."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    # Strict: ``true``, ``"6000"`` or ``6000.0`` is refused (422), never read as a number.
    supplier_bp: int | None = Field(default=None, ge=0, le=10_000, strict=True)
    reasons: str = Field(min_length=1, max_length=limits.dispute_statement_chars_max)
    signature: str | None = Field(default=None, max_length=200)
    nonce: int | None = Field(default=None, ge=0, le=2**256 - 1, strict=True)
    deadline: int | None = Field(default=None, ge=0, le=2**63 - 1, strict=True)


class AssignmentView(BaseModel):
    account_id: int
    organization_id: int
    round: int
    drawn_seq: int
    # The later draw that replaced this arbitrator (its organisation was suspended before it
    # ruled or voted); null while it stands (docs/disputes.md, "Re-drawing").
    replaced_seq: int | None = None


class RulingView(BaseModel):
    round: int
    account_id: int
    outcome: str
    supplier_bp: int
    reasons: str
    signer: str
    signature: str
    document: dict[str, Any]
    journal_seq: int
    created_at: datetime


class DisputeView(BaseModel):
    """A dispute as its parties, its arbitrators and operators see it. Amounts are shown to
    them (never journaled)."""

    id: int
    order_id: int | None
    period: int | None = None  # the period disputed, on a subscription or metered order
    objection_id: int | None = None
    buyer_organization_id: int
    supplier_organization_id: int
    opener_side: str
    reason: str
    statement: (
        str | None
    )  # None in an operator's view: contents are the parties' (docs/disputes.md)
    statement_sha256: str
    status: str
    round: int
    clawback: bool
    amount_minor: int
    currency: str
    hold_id: int | None
    opener_fee_hold_id: int | None
    respondent_fee_hold_id: int | None
    appeal_fee_hold_id: int | None
    appellant_side: str | None
    evidence_closes_at: datetime
    appeal_closes_at: datetime | None
    outcome: str | None
    supplier_bp: int | None
    opened_seq: int
    executed_seq: int | None
    executed_at: datetime | None
    created_at: datetime
    assignments: list[AssignmentView] = Field(default_factory=list)
    rulings: list[RulingView] = Field(default_factory=list)


class DisputePage(BaseModel):
    items: list[DisputeView]


class RulingDraft(BaseModel):
    """The EIP-712 ``Ruling`` a self-custody arbitrator signs, with the nonce and deadline in it
    (``POST /disputes/{id}/ruling/draft``; writes nothing)."""

    typed_data: dict[str, Any]
    nonce: int
    deadline: int
