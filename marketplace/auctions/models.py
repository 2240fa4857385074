"""Auction tables: one row per sealed-bid auction of an exclusive listing, and one row per bid
(at most one per bidding organisation and auction)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.models import utc_now
from marketplace.db import ID_TYPE

HASH_HEX_LENGTH = 66
ADDRESS_HEX_LENGTH = 42


class AuctionStatus(StrEnum):
    committing = "committing"  # sealed bids are taken until the commit deadline
    revealing = "revealing"  # derived from the clock, never stored (lifecycle.current)
    resolved = "resolved"  # sold: a winner, a price, an order
    no_sale = "no_sale"  # no valid bid at or above the reserve
    cancelled = "cancelled"  # by the supplier, before any bid


class BidStatus(StrEnum):
    committed = "committed"
    revealed = "revealed"
    rejected = "rejected"  # revealed below the reserve (deposit returned)
    forfeited = "forfeited"  # never revealed (deposit forfeited)


class Auction(SQLModel, table=True):
    __tablename__ = "auction"

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    listing_id: int = Field(sa_type=BigInteger, foreign_key="listing.id", index=True)
    supplier_organization_id: int = Field(sa_type=BigInteger, foreign_key="organization.id")
    created_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    status: str = Field(sa_type=Text, default=AuctionStatus.committing)
    currency: str = Field(max_length=16)
    reserve_minor: int = Field(sa_type=BigInteger)
    deposit_minor: int = Field(sa_type=BigInteger)
    commit_deadline: datetime = Field(sa_type=DateTime(timezone=True))
    reveal_deadline: datetime = Field(sa_type=DateTime(timezone=True))
    commitments: int = Field(default=0, sa_type=BigInteger)
    opened_seq: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    # The result, set once by the resolution (or the cancellation's seq)
    closed_seq: int | None = Field(default=None, sa_type=BigInteger)
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    winner_bid_id: int | None = Field(default=None, sa_type=BigInteger)
    price_minor: int | None = Field(default=None, sa_type=BigInteger)
    order_id: int | None = Field(default=None, sa_type=BigInteger)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class AuctionBid(SQLModel, table=True):
    __tablename__ = "auction_bid"
    __table_args__ = (
        UniqueConstraint("auction_id", "organization_id", name="uq_auction_bid_organization"),
    )

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    auction_id: int = Field(sa_type=BigInteger, foreign_key="auction.id", index=True)
    organization_id: int = Field(sa_type=BigInteger, foreign_key="organization.id")
    account_id: int = Field(sa_type=BigInteger, foreign_key="account.id")
    bidder: str = Field(max_length=ADDRESS_HEX_LENGTH)  # the address the commitment binds
    custodial: bool = True  # how the bidder's account signs (the auction's order is placed for it)
    commitment: str = Field(max_length=HASH_HEX_LENGTH)
    purpose: str = Field(max_length=64)
    status: str = Field(sa_type=Text, default=BidStatus.committed)
    commit_seq: int = Field(sa_type=BigInteger)
    committed_at: datetime = Field(sa_type=DateTime(timezone=True))
    amount_minor: int | None = Field(default=None, sa_type=BigInteger)
    salt: str | None = Field(default=None, max_length=HASH_HEX_LENGTH)
    revealed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    reveal_seq: int | None = Field(default=None, sa_type=BigInteger)
