"""One row per idempotency key in use: who sent it (organisation) on which route, a digest of
the request it first came with, and, once the first attempt finished, the answer it got."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace import limits
from marketplace.db import ID_TYPE

SHA256_HEX_LENGTH = 64
CLAIM_TOKEN_HEX_LENGTH = 32


class IdempotencyRecord(SQLModel, table=True):
    """An idempotency key of one organisation on one route (``"POST /orders"``).

    Two states: *in flight* while ``response_status`` is NULL (an attempt holds the claim named
    by ``claim_token``), then *answered* (the stored status, headers and body are replayed).
    The unique constraint on ``(organization_id, route, key)`` is what makes a concurrent
    duplicate lose: the database lets one insert of a key in."""

    __tablename__ = "idempotency_record"
    __table_args__ = (
        UniqueConstraint("organization_id", "route", "key", name="uq_idempotency_record_key"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    organization_id: int = Field(sa_type=BigInteger, foreign_key="organization.id")
    route: str = Field(sa_type=Text)
    key: str = Field(sa_type=String(limits.idempotency_key_chars_max))
    request_sha256: str = Field(sa_type=String(SHA256_HEX_LENGTH))
    claim_token: str = Field(sa_type=String(CLAIM_TOKEN_HEX_LENGTH))
    claimed_at: datetime = Field(sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    response_status: int | None = Field(default=None, sa_type=Integer)
    response_headers: str | None = Field(default=None, sa_type=Text)  # a JSON object
    response_body: bytes | None = Field(default=None, sa_type=LargeBinary)
