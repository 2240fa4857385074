"""Valuation reports: one row per issued report, with the journal entry that anchors it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Text
from sqlmodel import Field, SQLModel

from ledger.models import utc_now
from marketplace.db import ID_TYPE


class Valuation(SQLModel, table=True):
    __tablename__ = "valuation"

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    asset_id: int = Field(sa_type=BigInteger, foreign_key="asset.id", index=True)
    revision: int = Field(sa_type=BigInteger)
    kind: str = Field(sa_type=Text)  # indicative | certified
    issued_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    inputs: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    report: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    report_hash: str = Field(max_length=66)
    value_minor: int | None = Field(default=None, sa_type=BigInteger)
    signature: str | None = Field(default=None, max_length=200)
    journal_seq: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
