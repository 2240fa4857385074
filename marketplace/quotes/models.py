"""Quotes: one row per quote a supplier sent in answer to a demand, with what it signed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Text, text
from sqlmodel import Field, SQLModel

from ledger.models import utc_now
from marketplace.db import ID_TYPE


class QuoteStatus(StrEnum):
    offered = "offered"
    accepted = "accepted"
    withdrawn = "withdrawn"
    rejected = "rejected"
    expired = "expired"


_ACCEPTED = text("status = 'accepted'")


class Quote(SQLModel, table=True):
    """A supplier's signed offer: a price and terms for one of its listings, valid until a
    moment, in answer to one demand. At most one quote of a demand is ever accepted (the
    partial unique index holds it even if two acceptances raced past every check)."""

    __tablename__ = "quote"
    __table_args__ = (
        Index(
            "uq_quote_accepted_per_demand",
            "demand_id",
            unique=True,
            sqlite_where=_ACCEPTED,
            postgresql_where=_ACCEPTED,
        ),
    )

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    demand_id: int = Field(sa_type=BigInteger, foreign_key="demand.id", index=True)
    listing_id: int = Field(sa_type=BigInteger, foreign_key="listing.id")
    asset_id: int = Field(sa_type=BigInteger)
    supplier_organization_id: int = Field(
        sa_type=BigInteger, foreign_key="organization.id", index=True
    )
    buyer_organization_id: int = Field(sa_type=BigInteger, foreign_key="organization.id")
    offered_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    price_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=16)
    terms: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    terms_hash: str = Field(max_length=66)
    valid_until: datetime = Field(sa_type=DateTime(timezone=True))
    status: QuoteStatus = Field(default=QuoteStatus.offered, sa_type=Text)
    signer: str = Field(max_length=42)
    signature: str = Field(max_length=200)
    nonce: str = Field(max_length=80)  # a uint256 in decimal
    deadline: int = Field(sa_type=BigInteger)
    offer_seq: int = Field(sa_type=BigInteger)  # the journal entry quote.offered
    order_id: int | None = Field(default=None, sa_type=BigInteger, foreign_key="purchase_order.id")
    decided_by: int | None = Field(default=None, sa_type=BigInteger, foreign_key="account.id")
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    decision_seq: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
