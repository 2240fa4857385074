"""API shapes for the inbox and the webhook; requests refuse unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from marketplace import limits


class NotificationPublic(BaseModel):
    id: int
    kind: str = Field(description="what happened, e.g. demand.matched")
    subject: str = Field(description="what it is about, e.g. demand:42")
    payload: dict[str, Any]
    created_at: datetime
    read_at: datetime | None
    unread: bool


class InboxPage(BaseModel):
    items: list[NotificationPublic]
    next_cursor: str | None = Field(
        description="pass as ?cursor= for the next (older) page; null on the last page"
    )
    unread_total: int = Field(description="the organisation's unread notifications, in all")


class WebhookSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=limits.webhook_url_length_max)
    rotate_secret: bool = Field(
        default=False,
        description="make a new secret (the old one stops working at once); a new webhook "
        "always gets one",
    )


class WebhookPublic(BaseModel):
    url: str
    secret_created_at: datetime
    updated_at: datetime
    secret: str | None = Field(
        default=None,
        description="the signing secret, shown only in the answer that created it: keep it",
    )
    pending_deliveries: int
    failed_deliveries: int
