"""The listing table: one approved asset offered under signed terms and a price model."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Text
from sqlmodel import Field, SQLModel

from ledger.models import utc_now
from marketplace.db import ID_TYPE


class ListingStatus(StrEnum):
    active = "active"
    paused = "paused"  # by its supplier; resumed later
    withdrawn = "withdrawn"  # by its supplier, for good
    closed = "closed"  # an exclusive licence was sold: no one else may buy it


class Listing(SQLModel, table=True):
    __tablename__ = "listing"

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    asset_id: int = Field(sa_type=BigInteger, foreign_key="asset.id", index=True)
    revision_id: int = Field(sa_type=BigInteger)  # the asset's registered revision listed
    supplier_organization_id: int = Field(
        sa_type=BigInteger, foreign_key="organization.id", index=True
    )
    status: ListingStatus = Field(default=ListingStatus.active, sa_type=Text, index=True)
    terms: dict[str, Any] = Field(sa_type=JSON)
    price_model: dict[str, Any] = Field(sa_type=JSON)
    price_kind: str = Field(sa_type=Text, index=True)
    headline_minor: int | None = Field(default=None, sa_type=BigInteger, index=True)
    currency: str = Field(max_length=8)
    currency_scale: int = Field(sa_type=BigInteger)  # minor units per unit: 10**scale
    exclusive: bool = False
    fingerprint: bool = False  # each licensed copy carries its licence's mark (CSV only)
    terms_hash: str = Field(max_length=66, index=True)  # 0x + keccak256 of the signed offer
    signer: str = Field(max_length=42)
    signature: str = Field(max_length=200)
    nonce: str = Field(max_length=80)  # uint256 as a decimal string
    deadline: int = Field(sa_type=BigInteger)
    offer: dict[str, Any] = Field(sa_type=JSON)  # the EIP-712 typed data signed (wallet JSON)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    journal_seq: int = Field(sa_type=BigInteger)  # the listing.created entry
