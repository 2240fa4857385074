"""API shapes for quality evaluations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from marketplace import limits
from marketplace.quality.table_schema import bounded


class EvaluationRequest(BaseModel):
    """What to judge against, beyond the revision's Table Schema and the asset's DCAT
    ``accrual_periodicity``. Every field is optional."""

    model_config = ConfigDict(extra="forbid")

    table_schema: Annotated[dict[str, Any], AfterValidator(bounded)] | None = Field(
        default=None, description="Overrides the revision's (supplier-corrected) schema."
    )
    rules: list[str] = Field(default_factory=list, max_length=limits.quality_rules_max)
    update_frequency: str | None = Field(default=None, max_length=64)
    timestamp_field: str | None = Field(default=None, max_length=200)


class EvaluationPublic(BaseModel):
    id: int
    asset_id: int
    revision: int
    status: str
    progress_percent: int
    stage: str
    content_sha256: str | None
    report_hash: str | None
    journal_seq: int | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    report: dict[str, Any] | None = Field(
        default=None, description="Sample values only for the owner and operators."
    )
