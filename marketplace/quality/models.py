"""Quality evaluations: one row per evaluation of one revision, with its progress and, when
done, the full report (sample values included; the API shows them to the owner and operators
only) and the report hash anchored in the journal entry ``quality.assessed``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Text
from sqlmodel import Field, SQLModel

from ledger.models import utc_now
from marketplace.db import ID_TYPE


class EvaluationStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class QualityEvaluation(SQLModel, table=True):
    __tablename__ = "quality_evaluation"
    __table_args__ = {"sqlite_autoincrement": True}  # evaluation ids are journaled; never reused

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    asset_id: int = Field(sa_type=BigInteger, foreign_key="asset.id", index=True)
    revision: int = Field(sa_type=BigInteger)
    status: EvaluationStatus = Field(default=EvaluationStatus.queued, sa_type=Text, index=True)
    progress_percent: int = Field(default=0, ge=0, le=100)
    stage: str = Field(default="queued", max_length=32)
    declared: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    requested_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    report: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    report_hash: str | None = Field(default=None, max_length=66)
    content_sha256: str | None = Field(default=None, max_length=64)
    journal_seq: int | None = Field(default=None, sa_type=BigInteger)
    error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
