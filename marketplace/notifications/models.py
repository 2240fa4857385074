"""Notifications: the inbox row per organisation, its webhook delivery (the outbox, written in
the same transaction) and each organisation's webhook endpoint with its sealed secret."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from ledger.models import utc_now
from marketplace import limits
from marketplace.db import ID_TYPE


class DeliveryStatus(StrEnum):
    """pending ─claim→ delivering ─2xx→ delivered; ─failure→ pending (again, later) or failed
    (attempts spent, or the webhook removed). A claim that outlives ``claimed_until`` is due
    again."""

    pending = "pending"
    delivering = "delivering"
    delivered = "delivered"
    failed = "failed"


class Notification(SQLModel, table=True):
    """One message in an organisation's inbox. Read by the organisation, not per member."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_organization_id_id", "organization_id", "id"),)

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    organization_id: int = Field(sa_type=BigInteger, foreign_key="organization.id")
    kind: str = Field(max_length=limits.notification_kind_length_max)
    subject: str = Field(max_length=limits.notification_subject_length_max)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    read_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class WebhookEndpoint(SQLModel, table=True):
    """An organisation's webhook: at most one. The signing secret is kept only as AES-256-GCM
    ciphertext under the master key, with the organisation id as associated data."""

    __tablename__ = "webhook_endpoint"

    organization_id: int = Field(
        sa_type=BigInteger, foreign_key="organization.id", primary_key=True
    )
    url: str = Field(max_length=limits.webhook_url_length_max)
    master_key_id: str = Field(max_length=16)
    secret_nonce: bytes = Field(sa_type=LargeBinary)
    secret_ciphertext: bytes = Field(sa_type=LargeBinary)
    secret_created_at: datetime = Field(sa_type=DateTime(timezone=True))
    updated_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))


class WebhookDelivery(SQLModel, table=True):
    """The outbox row of one notification for its organisation's webhook (one per
    notification, so the notification id is the delivery id receivers deduplicate on)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)

    notification_id: int = Field(
        sa_type=BigInteger, foreign_key="notification.id", primary_key=True
    )
    organization_id: int = Field(sa_type=BigInteger, foreign_key="organization.id", index=True)
    status: str = Field(sa_type=Text, default=DeliveryStatus.pending.value)
    attempts: int = Field(default=0, sa_type=BigInteger)
    next_attempt_at: datetime = Field(sa_type=DateTime(timezone=True))
    claimed_by: str | None = Field(default=None, max_length=128)
    claimed_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_status_code: int | None = Field(default=None, sa_type=BigInteger)
    last_error: str | None = Field(default=None, max_length=limits.webhook_error_length_max)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
