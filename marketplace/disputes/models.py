"""Disputes: one per order, the arbitrators drawn for it, the evidence both parties and the
exchange submitted, and the rulings and panel votes (docs/disputes.md)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from ledger.models import utc_now
from marketplace.db import ID_TYPE
from marketplace.disputes.lifecycle import INITIAL

ADDRESS_HEX_LENGTH = 42
HASH_HEX_LENGTH = 66  # 0x + 32 bytes
SHA256_HEX_LENGTH = 64
SIGNATURE_HEX_LENGTH = 200


class Reason(StrEnum):
    """Why a party disputes an order (the issue's reason codes)."""

    not_as_described = "not_as_described"
    quality_below_report = "quality_below_report"
    not_delivered = "not_delivered"
    unauthorised_redistribution = "unauthorised_redistribution"
    other = "other"


class Side(StrEnum):
    buyer = "buyer"
    supplier = "supplier"


class Outcome(StrEnum):
    """A ruling: everything to the supplier, everything back to the buyer, or a split whose
    ``supplier_bp`` (0 to 10,000) is the supplier's share. Release is a split of 10,000 and
    refund one of 0. (``partial``: ``split`` would shadow ``str.split``.)"""

    release = "release"
    refund = "refund"
    partial = "split"
    # A dispute on an ownership objection (docs/disputes.md, "Ownership objections").
    transfer = "transfer"
    cancel = "cancel"
    dismiss = "dismiss"


#: The outcomes of a dispute on an order, and of one on an ownership objection.
ORDER_OUTCOMES = frozenset({Outcome.release, Outcome.refund, Outcome.partial})
OBJECTION_OUTCOMES = frozenset({Outcome.transfer, Outcome.cancel, Outcome.dismiss})


class Dispute(SQLModel, table=True):
    """A dispute about one order, or about one period of a subscription or metered order
    (``period``, its number; 0 for a dispute of the whole order): ``(order_id, period)`` is
    unique, so a second dispute of the same order or period is refused (an appeal continues
    this one). Or a dispute about one ownership objection (``objection_id``, unique too; then
    the ``buyer`` columns and side are the objector's, the ``supplier`` ones the asset owner's,
    and no escrow is held: docs/disputes.md, "Ownership objections"). Exactly one of the two is
    set (a CHECK). ``hold_id`` is the escrow hold the dispute froze: the order's own while
    it was unsettled, or the clawback hold taken from the supplier's proceeds when it was settled.
    ``round`` is 1 until an appeal, 2 for the panel."""

    __tablename__ = "dispute"
    __table_args__ = (
        CheckConstraint(
            "(order_id IS NULL) <> (objection_id IS NULL)", name="ck_dispute_one_subject"
        ),
        UniqueConstraint("order_id", "period", name="uq_dispute_order_period"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    order_id: int | None = Field(default=None, sa_type=BigInteger, foreign_key="purchase_order.id")
    # 0 (not NULL, so that the unique pair also holds for the whole order's one dispute).
    period: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})
    objection_id: int | None = Field(
        default=None, sa_type=BigInteger, foreign_key="asset_objection.id", unique=True
    )
    buyer_organization_id: int = Field(
        sa_type=BigInteger, foreign_key="organization.id", index=True
    )
    supplier_organization_id: int = Field(
        sa_type=BigInteger, foreign_key="organization.id", index=True
    )
    opened_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    opener_side: str = Field(sa_type=Text)  # Side
    reason: str = Field(sa_type=Text)  # Reason
    # The opener's statement; the journal holds only its SHA-256 (of its UTF-8 bytes).
    statement: str = Field(sa_type=Text)
    statement_sha256: str = Field(sa_type=String(SHA256_HEX_LENGTH))
    status: str = Field(default=INITIAL.value, sa_type=Text, index=True)
    round: int = Field(default=1, sa_type=BigInteger)
    # The money in dispute: the frozen hold (see the class docstring) and what it holds.
    hold_id: int | None = Field(default=None, sa_type=BigInteger)
    clawback: bool = Field(default=False)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=8)
    # Arbitration fees, each an escrow hold on the side that paid it (docs/disputes.md, "Fees").
    opener_fee_hold_id: int | None = Field(default=None, sa_type=BigInteger)
    respondent_fee_hold_id: int | None = Field(default=None, sa_type=BigInteger)
    appeal_fee_hold_id: int | None = Field(default=None, sa_type=BigInteger)
    appellant_side: str | None = Field(default=None, sa_type=Text)
    evidence_closes_at: datetime = Field(sa_type=DateTime(timezone=True))
    appeal_closes_at: datetime | None = Field(
        default=None, sa_type=DateTime(timezone=True), index=True
    )
    # The ruling in force (the first arbitrator's, then the panel's), and its execution.
    outcome: str | None = Field(default=None, sa_type=Text)
    supplier_bp: int | None = Field(default=None, sa_type=BigInteger)
    opened_seq: int = Field(default=0, sa_type=BigInteger)
    executed_seq: int | None = Field(default=None, sa_type=BigInteger)
    executed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class Assignment(SQLModel, table=True):
    """An arbitrator drawn for a dispute: one for round 1, three for the appeal panel (round 2).
    ``drawn_seq`` is the journal entry ``arbitrator.drawn`` that records the draw (its seed and
    the eligible pool), from which anyone can recompute who was drawn. ``replaced_seq`` is the
    later ``arbitrator.drawn`` that drew another arbitrator in its place, its organisation having
    been suspended before it ruled (docs/disputes.md, "Re-drawing"): a replaced arbitrator may
    no longer rule, vote or see the case, and is never drawn for it again."""

    __tablename__ = "dispute_assignment"
    __table_args__ = (
        UniqueConstraint("dispute_id", "account_id", name="uq_dispute_assignment"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    dispute_id: int = Field(sa_type=BigInteger, foreign_key="dispute.id", index=True)
    account_id: int = Field(sa_type=BigInteger, foreign_key="account.id", index=True)
    organization_id: int = Field(sa_type=BigInteger, foreign_key="organization.id")
    round: int = Field(sa_type=BigInteger)
    drawn_seq: int = Field(sa_type=BigInteger)
    replaced_seq: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class Evidence(SQLModel, table=True):
    """One item of evidence. A party's (``source='party'``) is a file or a statement, stored
    encrypted under ``blob_key``, hashed (``sha256`` of the plaintext) and signed (EIP-712) by
    its submitter; the exchange's (``source='system'``) is a record it already holds, such as the
    signed order or a ``delivery.served`` entry, named by ``record_seq``, the journal entry whose
    receipt proves it. ``journal_seq`` is a party's ``evidence.submitted`` entry, and a system
    record's own entry (``record_seq``): attaching one writes no entry."""

    __tablename__ = "dispute_evidence"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    dispute_id: int = Field(sa_type=BigInteger, foreign_key="dispute.id", index=True)
    source: str = Field(sa_type=Text)  # party | system
    side: str | None = Field(default=None, sa_type=Text)  # Side, for a party's item
    submitted_by: int | None = Field(default=None, sa_type=BigInteger, foreign_key="account.id")
    kind: str = Field(sa_type=Text)  # file | statement | the record's journal kind
    title: str = Field(sa_type=Text)
    media_type: str = Field(sa_type=Text)
    size_bytes: int = Field(sa_type=BigInteger)
    sha256: str = Field(sa_type=String(SHA256_HEX_LENGTH))
    blob_key: str | None = Field(default=None, max_length=SHA256_HEX_LENGTH)
    # The item's data key, wrapped by the master key and bound to ``blob_key`` (as a revision's).
    wrapped_key: bytes | None = Field(default=None, sa_type=LargeBinary)
    record_seq: int | None = Field(default=None, sa_type=BigInteger)
    signer: str | None = Field(default=None, sa_type=String(ADDRESS_HEX_LENGTH))
    signature: str | None = Field(default=None, sa_type=String(SIGNATURE_HEX_LENGTH))
    journal_seq: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class Ruling(SQLModel, table=True):
    """A signed ruling (round 1) or a panel member's signed vote (round 2), with its written
    reasons; ``journal_seq`` is its ``ruling.issued`` or ``ruling.voted`` entry. One per
    arbitrator per round."""

    __tablename__ = "dispute_ruling"
    __table_args__ = (
        UniqueConstraint("dispute_id", "round", "account_id", name="uq_dispute_ruling"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    dispute_id: int = Field(sa_type=BigInteger, foreign_key="dispute.id", index=True)
    round: int = Field(sa_type=BigInteger)
    account_id: int = Field(sa_type=BigInteger, foreign_key="account.id")
    outcome: str = Field(sa_type=Text)  # Outcome
    supplier_bp: int = Field(sa_type=BigInteger)
    reasons: str = Field(sa_type=Text)
    document: dict[str, Any] = Field(sa_type=JSON)  # the EIP-712 message the arbitrator signed
    signer: str = Field(sa_type=String(ADDRESS_HEX_LENGTH))
    signature: str = Field(sa_type=String(SIGNATURE_HEX_LENGTH))
    journal_seq: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
