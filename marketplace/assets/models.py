"""Asset tables: assets with their DCAT metadata and compliance facts, revisions with their
content identity and wrapped data key, compliance reviews, registrations (certificates and the
other registration types) and objections.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.models import utc_now
from marketplace import limits
from marketplace.db import ID_TYPE

SHA256_HEX_LENGTH = 64
ADDRESS_HEX_LENGTH = 42


class AssetStatus(StrEnum):
    draft = "draft"
    under_review = "under_review"
    approved = "approved"
    rejected = "rejected"
    listed = "listed"
    delisted = "delisted"
    suspended = "suspended"  # by an operator, with a reason; lifted back to the prior status
    cancelled = "cancelled"


class Classification(StrEnum):
    """Grades of the Data Security Law (数据安全法 art. 21)."""

    general = "general"
    important = (
        "important"  # 重要数据: key-wrapped delivery to verified buyers, each order approved
    )
    core = "core"  # 核心数据: may be registered, never listed


class LawfulBasis(StrEnum):
    """Lawful bases of the Personal Information Protection Law, art. 13."""

    consent = "consent"
    contract_or_hr = "contract_or_hr"
    statutory_duty = "statutory_duty"
    public_health_or_safety = "public_health_or_safety"
    news_and_public_interest = "news_and_public_interest"
    publicly_disclosed = "publicly_disclosed"
    other_law = "other_law"


class SourceType(StrEnum):
    collected = "collected"
    generated = "generated"
    purchased = "purchased"
    public = "public"


class ContentFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    parquet = "parquet"
    opaque = "opaque"


class RevisionSource(StrEnum):
    upload = "upload"
    external_file = "external_file"  # an HTTPS URL serving the file
    external_api = "external_api"  # an API endpoint the supplier keeps serving


class RegistrationType(StrEnum):
    initial = "initial"
    change = "change"
    transfer = "transfer"
    cancellation = "cancellation"
    objection = "objection"


class ReviewDecision(StrEnum):
    approved = "approved"
    rejected = "rejected"


class ObjectionStatus(StrEnum):
    open = "open"
    escalated = "escalated"  # under arbitration (docs/disputes.md, "Ownership objections")
    upheld = "upheld"
    dismissed = "dismissed"


class ObjectionReason(StrEnum):
    """Why a third party objects (异议事由)."""

    ownership = "ownership"  # the objector holds rights in the data
    unlawful_source = "unlawful_source"  # collected or obtained unlawfully
    personal_information = "personal_information"  # personal data without a lawful basis
    confidentiality = "confidentiality"  # trade secrets or data under a duty of confidence
    misrepresentation = "misrepresentation"  # the metadata misdescribes the data
    other = "other"


class AssetMetadataBase(SQLModel):
    """DCAT 3 fields and the compliance facts on top of them (one source for API and columns)."""

    title: str = Field(min_length=1, max_length=limits.asset_title_length_max)
    description: str = Field(default="", max_length=limits.asset_description_length_max)
    keywords: list[str] = Field(default_factory=list, sa_type=JSON)
    theme: str | None = Field(default=None, max_length=200, index=True)
    publisher: str | None = Field(default=None, max_length=200)
    license: str = Field(max_length=64)
    temporal_start: date | None = None
    temporal_end: date | None = None
    spatial: str | None = Field(default=None, max_length=limits.asset_text_length_max)
    accrual_periodicity: str | None = Field(default=None, max_length=32)
    languages: list[str] = Field(default_factory=list, sa_type=JSON)
    landing_page: str | None = Field(default=None, max_length=limits.asset_url_length_max)
    classification: Classification = Field(sa_type=Text)
    personal_information: bool = False
    lawful_basis: LawfulBasis | None = Field(default=None, sa_type=Text)
    source_type: SourceType = Field(sa_type=Text)
    authority_proof: str = Field(min_length=1, max_length=limits.asset_text_length_max)


class Asset(AssetMetadataBase, table=True):
    __tablename__ = "asset"
    __table_args__ = {"sqlite_autoincrement": True}  # a deleted draft's id is never reused

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    owner_organization_id: int = Field(
        sa_type=BigInteger, foreign_key="organization.id", index=True
    )
    created_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    status: AssetStatus = Field(default=AssetStatus.draft, sa_type=Text, index=True)
    search_text: str = Field(default="", sa_type=Text)  # lower-cased title, description, keywords
    latest_revision: int = Field(default=0, sa_type=BigInteger)
    certified_revision: int | None = Field(default=None, sa_type=BigInteger)
    # Who submitted for review and their EIP-712 signature over the registration application.
    submitted_by: int | None = Field(default=None, sa_type=BigInteger)
    submission: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    # Objections still open against it (the public "under objection" flag), kept by the service
    # under the asset's row lock.
    open_objections: int = Field(default=0, sa_type=BigInteger)
    # While suspended: the status to restore, the reason, and the objection it was for (if any).
    status_before_suspension: AssetStatus | None = Field(default=None, sa_type=Text)
    suspension_reason: str | None = Field(default=None, max_length=limits.review_reasons_length_max)
    suspended_for_objection: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class AssetRevision(SQLModel, table=True):
    __tablename__ = "asset_revision"
    __table_args__ = (UniqueConstraint("asset_id", "number"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    asset_id: int = Field(sa_type=BigInteger, foreign_key="asset.id", index=True)
    number: int = Field(sa_type=BigInteger)
    source: RevisionSource = Field(sa_type=Text)
    content_format: ContentFormat = Field(sa_type=Text)
    media_type: str = Field(max_length=127)
    # Uploads: identity of the plaintext, and where its ciphertext lies.
    size_bytes: int | None = Field(default=None, sa_type=BigInteger)
    sha256: str | None = Field(default=None, max_length=SHA256_HEX_LENGTH)
    chunk_root: str | None = Field(default=None, max_length=SHA256_HEX_LENGTH)
    chunk_bytes: int | None = Field(default=None, sa_type=BigInteger)
    chunk_count: int | None = Field(default=None, sa_type=BigInteger)
    blob_key: str | None = Field(default=None, max_length=SHA256_HEX_LENGTH)
    wrapped_key: bytes | None = Field(default=None, sa_type=LargeBinary)
    # External sources.
    external_url: str | None = Field(default=None, max_length=limits.asset_url_length_max)
    table_schema: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    schema_hash: str | None = Field(default=None, max_length=SHA256_HEX_LENGTH)
    schema_corrected: bool = False
    created_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class AssetReview(SQLModel, table=True):
    """One compliance review (合规评估): the checklist, the decision and its reasons."""

    __tablename__ = "asset_review"

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    asset_id: int = Field(sa_type=BigInteger, foreign_key="asset.id", index=True)
    revision: int = Field(sa_type=BigInteger)
    decision: ReviewDecision = Field(sa_type=Text)
    checklist: dict[str, Any] = Field(sa_type=JSON)
    reasons: str = Field(default="", max_length=limits.review_reasons_length_max)
    reviewer_id: int = Field(sa_type=BigInteger, foreign_key="account.id")
    journal_seq: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class AssetRegistration(SQLModel, table=True):
    """A registration (登记): initial, change and transfer carry a certificate (a journal entry
    of kind ``asset.registered``); cancellation and objection are recorded the same way."""

    __tablename__ = "asset_registration"

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    asset_id: int = Field(sa_type=BigInteger, foreign_key="asset.id", index=True)
    registration_type: RegistrationType = Field(sa_type=Text)
    revision: int | None = Field(default=None, sa_type=BigInteger)
    journal_seq: int = Field(sa_type=BigInteger, unique=True)
    holder_address: str = Field(max_length=ADDRESS_HEX_LENGTH)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class AssetObjection(SQLModel, table=True):
    """An objection (异议) by a verified third-party organisation claiming rights in the asset,
    or another reason it should not be traded. It never changes the asset's status by itself."""

    __tablename__ = "asset_objection"

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    asset_id: int = Field(sa_type=BigInteger, foreign_key="asset.id", index=True)
    organization_id: int = Field(sa_type=BigInteger, foreign_key="organization.id", index=True)
    filed_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    reason_code: ObjectionReason = Field(sa_type=Text)
    statement: str = Field(max_length=limits.asset_text_length_max)
    evidence_hashes: list[str] = Field(default_factory=list, sa_type=JSON)  # SHA-256 hex each
    status: ObjectionStatus = Field(default=ObjectionStatus.open, sa_type=Text)
    resolution: str | None = Field(default=None, max_length=limits.review_reasons_length_max)
    decided_by: int | None = Field(default=None, sa_type=BigInteger, foreign_key="account.id")
    created_at: datetime = Field(
        default_factory=utc_now, sa_type=DateTime(timezone=True), index=True
    )
    resolved_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
