"""API shapes for valuations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from marketplace.valuation.report import ValuationInputs


class ValuationRequest(BaseModel):
    """An indicative valuation of the asset's latest revision from these inputs. Cost inputs
    without quality or timeliness scores take them from the revision's quality report."""

    model_config = ConfigDict(extra="forbid")

    inputs: ValuationInputs


class ValuationPublic(BaseModel):
    id: int
    asset_id: int
    revision: int
    kind: str
    report_hash: str
    value_minor: int | None
    journal_seq: int
    created_at: datetime
    report: dict[str, Any]
