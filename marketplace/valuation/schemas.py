"""API shapes for valuations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from marketplace import limits
from marketplace.assets.schemas import SignatureHex
from marketplace.valuation.report import ValuationInputs


class ValuationRequest(BaseModel):
    """A valuation of the asset's latest revision from these inputs. Cost inputs without
    quality or timeliness scores take them from the revision's quality report.

    ``kind`` ``certified`` needs the valuer role. A custodial valuer sends nothing more (the
    exchange signs with its key); a self-custody valuer first gets the report to sign from
    ``POST /assets/{id}/valuations/draft`` and sends back its ``issued_at``, ``nonce``,
    ``deadline`` and the EIP-712 ``signature``."""

    model_config = ConfigDict(extra="forbid")

    inputs: ValuationInputs
    kind: Literal["indicative", "certified"] = "indicative"
    issued_at: datetime | None = None
    signature: SignatureHex | None = None
    nonce: int | None = Field(default=None, strict=True, ge=0, lt=2**256)
    deadline: int | None = Field(default=None, strict=True, ge=0, le=limits.id_max)

    @field_validator("issued_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("issued_at needs a time zone (use the draft's, unchanged)")
        return value

    @model_validator(mode="after")
    def _signed_together(self) -> Self:
        given = [v is not None for v in (self.issued_at, self.signature, self.nonce, self.deadline)]
        if any(given) and not all(given):
            raise ValueError("send issued_at, signature, nonce and deadline together")
        if any(given) and self.kind != "certified":
            raise ValueError("only a certified valuation carries a signature")
        return self


class CertificationDraft(BaseModel):
    """A certified valuation report ready to sign: sign ``typed_data`` (EIP-712) and send it
    back with the same inputs, ``issued_at``, ``nonce`` and ``deadline``."""

    report: dict[str, Any]
    report_hash: str
    issued_at: datetime
    nonce: str  # uint256, decimal
    deadline: int
    typed_data: dict[str, Any]


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
    signature: str | None = Field(
        default=None, description="The valuer's EIP-712 signature (certified valuations)."
    )
    certification: dict[str, Any] | None = Field(
        default=None,
        description="What the valuer signed: signer, nonce, deadline and the typed data.",
    )
