"""API shapes for assets. Request models refuse unknown fields."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from marketplace import limits
from marketplace.assets.models import (
    AssetMetadataBase,
    AssetStatus,
    Classification,
    ContentFormat,
    LawfulBasis,
    ObjectionReason,
    ObjectionStatus,
    RegistrationType,
    ReviewDecision,
    RevisionSource,
    SourceType,
)
from marketplace.assets.vocabulary import (
    check_frequency,
    check_keywords,
    check_landing_page,
    check_languages,
    check_license,
)
from marketplace.quality.table_schema import bounded

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")


def _check_signature(value: str) -> str:
    if not _SIGNATURE.match(value):
        raise ValueError("signature must be 65 bytes as 0x-hex")
    return value


def _check_not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must say something: it is blank")
    return value.strip()


#: Free text a person must actually write (reasons for an operator's step).
ReasonText = Annotated[
    str,
    Field(min_length=1, max_length=limits.review_reasons_length_max),
    AfterValidator(_check_not_blank),
]

#: An EIP-712 / EIP-191 signature as the API carries it: 65 bytes as 0x-hex.
SignatureHex = Annotated[str, AfterValidator(_check_signature)]


class AssetCreate(AssetMetadataBase):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    _license = field_validator("license")(check_license)
    _keywords = field_validator("keywords")(check_keywords)
    _languages = field_validator("languages")(check_languages)
    _frequency = field_validator("accrual_periodicity")(check_frequency)
    _landing = field_validator("landing_page")(check_landing_page)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_compliance_facts(
            self.personal_information,
            self.lawful_basis,
            self.temporal_start,
            self.temporal_end,
        )
        return self


def check_compliance_facts(personal: bool, basis: LawfulBasis | None, start: Any, end: Any) -> None:
    if personal and basis is None:
        raise ValueError("an asset holding personal information needs a lawful_basis")
    if not personal and basis is not None:
        raise ValueError("lawful_basis applies only when personal_information is true")
    if start is not None and end is not None and start > end:
        raise ValueError("temporal_start must not be after temporal_end")


class AssetUpdate(BaseModel):
    """A metadata change: only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=limits.asset_title_length_max)
    description: str | None = Field(default=None, max_length=limits.asset_description_length_max)
    keywords: list[str] | None = None
    theme: str | None = Field(default=None, max_length=200)
    publisher: str | None = Field(default=None, max_length=200)
    license: str | None = None
    temporal_start: date | None = None
    temporal_end: date | None = None
    spatial: str | None = Field(default=None, max_length=limits.asset_text_length_max)
    accrual_periodicity: str | None = None
    languages: list[str] | None = None
    landing_page: str | None = Field(default=None, max_length=limits.asset_url_length_max)
    classification: Classification | None = None
    personal_information: bool | None = None
    lawful_basis: LawfulBasis | None = None
    source_type: SourceType | None = None
    authority_proof: str | None = Field(
        default=None, min_length=1, max_length=limits.asset_text_length_max
    )

    @field_validator("license")
    @classmethod
    def _license(cls, value: str | None) -> str | None:
        return None if value is None else check_license(value)

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_keywords(value)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_languages(value)

    _frequency = field_validator("accrual_periodicity")(check_frequency)
    _landing = field_validator("landing_page")(check_landing_page)


class AssetPublic(AssetMetadataBase):
    id: int
    owner_organization_id: int
    status: AssetStatus
    latest_revision: int
    certified_revision: int | None
    created_at: datetime
    updated_at: datetime
    listing_restrictions: list[str] = Field(default_factory=list)
    under_objection: bool = False  # an objection is open: buyers see it before they buy
    suspension_reason: str | None = None


class AssetPage(BaseModel):
    items: list[AssetPublic]
    total: int
    offset: int
    limit: int


class RevisionPublic(BaseModel):
    asset_id: int
    number: int
    source: RevisionSource
    content_format: ContentFormat
    media_type: str
    size_bytes: int | None
    sha256: str | None
    chunk_root: str | None
    chunk_bytes: int | None
    chunk_count: int | None
    external_url: str | None
    table_schema: dict[str, Any] | None
    schema_hash: str | None
    schema_corrected: bool
    created_at: datetime


class ExternalRevisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=limits.asset_url_length_max)
    kind: Literal["file", "api"] = "file"
    content_format: ContentFormat = ContentFormat.opaque
    media_type: str = Field(default="application/octet-stream", max_length=127)

    @field_validator("media_type")
    @classmethod
    def _media(cls, value: str) -> str:
        return check_media_type(value)


def check_media_type(value: str) -> str:
    if not _MEDIA_TYPE.match(value):
        raise ValueError(f"{value!r} is not a media type such as 'text/csv'")
    return value


class SchemaCorrection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Depth and size are bounded here, before the service reads anything (quality.table_schema).
    table_schema: Annotated[dict[str, Any], AfterValidator(bounded)]


class SubmitRequest(BaseModel):
    """Submission for review. Self-custody accounts sign the registration application (the
    typed data from ``GET /assets/{id}/application``) and send the signature with its nonce and
    time; custodial accounts send an empty body and the exchange signs with their key."""

    model_config = ConfigDict(extra="forbid")

    signature: SignatureHex | None = None
    nonce: int | None = Field(default=None, ge=0, lt=2**256)
    deadline: int | None = Field(default=None, ge=0, le=limits.id_max)

    @model_validator(mode="after")
    def _all_or_none(self) -> Self:
        given = [v is not None for v in (self.signature, self.nonce, self.deadline)]
        if any(given) and not all(given):
            raise ValueError("send signature, nonce and deadline together")
        return self


class ChecklistItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passed: bool
    note: str = Field(default="", max_length=limits.asset_text_length_max)


class Checklist(BaseModel):
    model_config = ConfigDict(extra="forbid")

    authority: ChecklistItem
    personal_information: ChecklistItem
    classification: ChecklistItem
    metadata_complete: ChecklistItem


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: ReviewDecision
    checklist: Checklist
    reasons: str = Field(default="", max_length=limits.review_reasons_length_max)

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        items = self.checklist.model_dump()
        failed = [name for name, item in items.items() if not item["passed"]]
        if self.decision == ReviewDecision.approved and failed:
            raise ValueError(f"cannot approve with failed checklist items: {', '.join(failed)}")
        if self.decision == ReviewDecision.rejected and not self.reasons.strip():
            raise ValueError("a rejection needs reasons the supplier can act on")
        return self


class ReviewPublic(BaseModel):
    id: int
    asset_id: int
    revision: int
    decision: ReviewDecision
    checklist: dict[str, Any]
    reasons: str
    journal_seq: int
    created_at: datetime


def _check_sha256(value: str) -> str:
    if not _SHA256.match(value):
        raise ValueError("each evidence hash is a SHA-256: 64 lower-case hex digits")
    return value


class ObjectionCreate(BaseModel):
    """An objection: why (a reason code), what is claimed (a statement someone can check), and
    the SHA-256 of each evidence file (the files themselves go to the operator out of band)."""

    model_config = ConfigDict(extra="forbid")

    reason_code: ObjectionReason
    statement: str = Field(
        min_length=limits.objection_statement_length_min, max_length=limits.asset_text_length_max
    )
    evidence_hashes: list[Annotated[str, AfterValidator(_check_sha256)]] = Field(
        min_length=1, max_length=limits.objection_evidence_hashes_max
    )

    @field_validator("statement")
    @classmethod
    def _statement(cls, value: str) -> str:
        if len(value.strip()) < limits.objection_statement_length_min:
            raise ValueError(
                f"the statement needs at least {limits.objection_statement_length_min} "
                "characters saying what is claimed and why"
            )
        return value.strip()

    @field_validator("evidence_hashes")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class ObjectionPublic(BaseModel):
    id: int
    asset_id: int
    organization_id: int
    reason_code: ObjectionReason
    statement: str
    evidence_hashes: list[str]
    status: ObjectionStatus
    resolution: str | None
    created_at: datetime
    resolved_at: datetime | None


class ObjectionPage(BaseModel):
    items: list[ObjectionPublic]
    total: int
    offset: int
    limit: int


class ObjectionDecision(BaseModel):
    """An operator's decision. Upholding suspends the asset (if it is not already); dismissing
    lifts a suspension made for this objection, restoring the asset's prior status."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["upheld", "dismissed"]
    reasons: ReasonText


class SuspensionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ReasonText
    objection_id: int | None = Field(default=None, gt=0, le=limits.id_max)


class ReinstateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ReasonText


class TransferRequest(SubmitRequest):
    """Self-custody owners sign the transfer application (registration type ``transfer``,
    owner = the new holder) and send signature, nonce and deadline; custodial owners send none."""

    to_organization_id: int = Field(gt=0, le=limits.id_max)


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=limits.asset_text_length_max)


class AssetDeleted(BaseModel):
    """What ``DELETE /assets/{id}`` removed, and the journal entry that records it."""

    asset_id: int
    revisions_deleted: int
    journal_seq: int


class RegistrationPublic(BaseModel):
    registration_type: RegistrationType
    revision: int | None
    journal_seq: int
    holder_address: str
    created_at: datetime
