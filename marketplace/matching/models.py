"""Demands (需求): what a buyer organisation asks for, with the state the lifecycle moves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, Index, Text
from sqlmodel import Field, SQLModel

from ledger.models import utc_now
from marketplace import limits
from marketplace.db import ID_TYPE
from marketplace.matching.demand_lifecycle import DemandStatus


class Demand(SQLModel, table=True):
    __tablename__ = "demand"
    __table_args__ = (
        Index("ix_demand_status_deadline", "status", "deadline"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    buyer_organization_id: int = Field(
        sa_type=BigInteger, foreign_key="organization.id", index=True
    )
    posted_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    poster_address: str = Field(max_length=42)  # the actor of the buyer's entries
    title: str = Field(max_length=limits.demand_title_length_max)
    description: str = Field(default="", sa_type=Text)
    keywords: list[str] = Field(default_factory=list, sa_type=JSON)
    required_fields: list[dict[str, Any]] = Field(
        default_factory=list, sa_type=JSON
    )  # {name, type}
    quality_min: float | None = Field(default=None, sa_type=Float)
    purpose: str = Field(sa_type=Text)
    budget_min_minor: int = Field(sa_type=BigInteger)
    budget_max_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=8)
    deadline: datetime = Field(sa_type=DateTime(timezone=True))
    status: str = Field(default=DemandStatus.open, sa_type=Text)
    fulfilled_by_quote_id: int | None = Field(default=None, sa_type=BigInteger)
    journal_seq: int = Field(sa_type=BigInteger)  # the demand.posted entry
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class ListingProfile(SQLModel, table=True):
    """What scoring reads of a listing, in one row: its revision's columns with their Table
    Schema types, its quality score, and from its signed offer (which never changes) the
    supplier, the headline price and the purposes its terms permit. Written when the listing is
    created (``service.match_new_listing``); for a listing created before, it is built when the
    listing is a candidate."""

    __tablename__ = "matching_listing_profile"

    listing_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    supplier_organization_id: int = Field(sa_type=BigInteger)
    headline_minor: int | None = Field(default=None, sa_type=BigInteger)
    purposes: list[str] = Field(default_factory=list, sa_type=JSON)
    columns: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # {name, type}
    quality_score: float | None = Field(default=None, sa_type=Float)
    profiled_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
