"""All SQL for notifications, webhooks and their deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, func, or_, update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col, select

from marketplace.notifications.models import (
    DeliveryStatus,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)

# --- the inbox -----------------------------------------------------------------------------


def add_notification(session: Session, notification: Notification) -> Notification:
    session.add(notification)
    session.flush()
    return notification


def inbox(
    session: Session,
    organization_id: int,
    *,
    before_id: int | None,
    unread_only: bool,
    limit: int,
) -> Sequence[Notification]:
    """The organisation's notifications, newest (highest id) first, older than ``before_id``."""
    query = select(Notification).where(col(Notification.organization_id) == organization_id)
    if before_id is not None:
        query = query.where(col(Notification.id) < before_id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    return session.exec(query.order_by(col(Notification.id).desc()).limit(limit)).all()


def unread_count(session: Session, organization_id: int) -> int:
    query = select(func.count()).where(
        col(Notification.organization_id) == organization_id,
        col(Notification.read_at).is_(None),
    )
    return int(session.exec(query).one())


def notification_of(
    session: Session, organization_id: int, notification_id: int
) -> Notification | None:
    row = session.get(Notification, notification_id)
    return row if row is not None and row.organization_id == organization_id else None


def mark_read(session: Session, notification_id: int, now: datetime) -> None:
    """Sets ``read_at`` once; reading again keeps the first time."""
    session.execute(
        update(Notification)
        .where(col(Notification.id) == notification_id, col(Notification.read_at).is_(None))
        .values(read_at=now)
    )


# --- webhook endpoints ---------------------------------------------------------------------


def webhook(session: Session, organization_id: int) -> WebhookEndpoint | None:
    return session.get(WebhookEndpoint, organization_id)


def save_webhook(session: Session, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    session.add(endpoint)
    session.flush()
    return endpoint


def delete_webhook(session: Session, endpoint: WebhookEndpoint) -> None:
    session.delete(endpoint)
    session.flush()


# --- deliveries ----------------------------------------------------------------------------


def add_delivery(session: Session, delivery: WebhookDelivery) -> None:
    session.add(delivery)
    session.flush()


def delivery(session: Session, notification_id: int) -> WebhookDelivery | None:
    return session.get(WebhookDelivery, notification_id)


def fail_unfinished(session: Session, organization_id: int, reason: str, now: datetime) -> int:
    """Every pending or in-flight delivery of the organisation becomes failed with ``reason``."""
    result = session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.organization_id) == organization_id,
            col(WebhookDelivery.status).in_(
                [DeliveryStatus.pending.value, DeliveryStatus.delivering.value]
            ),
        )
        .values(
            status=DeliveryStatus.failed.value,
            last_error=reason,
            claimed_by=None,
            claimed_until=None,
            next_attempt_at=now,
        )
    )
    return int(cast(CursorResult[Any], result).rowcount)


def delivery_counts(session: Session, organization_id: int) -> dict[str, int]:
    query = (
        select(WebhookDelivery.status, func.count())
        .where(col(WebhookDelivery.organization_id) == organization_id)
        .group_by(col(WebhookDelivery.status))
    )
    return {str(status): int(n) for status, n in session.exec(query).all()}


def _due(now: datetime) -> Any:
    """Pending and due, or claimed by a worker that has not reported in time."""
    return or_(
        and_(
            col(WebhookDelivery.status) == DeliveryStatus.pending.value,
            col(WebhookDelivery.next_attempt_at) <= now,
        ),
        and_(
            col(WebhookDelivery.status) == DeliveryStatus.delivering.value,
            col(WebhookDelivery.claimed_until) <= now,
        ),
    )


def due_ids(session: Session, now: datetime, limit: int) -> list[int]:
    query = (
        select(WebhookDelivery.notification_id)
        .where(_due(now))
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.notification_id))
        .limit(limit)
    )
    return [int(i) for i in session.exec(query).all()]


def claim(
    session: Session, notification_id: int, holder: str, now: datetime, until: datetime
) -> bool:
    """Claims one due delivery for ``holder`` and counts the attempt; True when this call did.
    One conditional UPDATE: of two workers racing for a row, the second finds it no longer due
    (PostgreSQL re-checks the condition after the first commits; SQLite runs one writer)."""
    result = session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.notification_id) == notification_id, _due(now))
        .values(
            status=DeliveryStatus.delivering.value,
            claimed_by=holder,
            claimed_until=until,
            attempts=col(WebhookDelivery.attempts) + 1,
        )
    )
    return int(cast(CursorResult[Any], result).rowcount) == 1


def finish(session: Session, notification_id: int, holder: str, **values: Any) -> bool:
    """Records the outcome of ``holder``'s claim; False when the claim was lost meanwhile (it
    expired and another worker took the row), and then nothing changes."""
    result = session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.notification_id) == notification_id,
            col(WebhookDelivery.status) == DeliveryStatus.delivering.value,
            col(WebhookDelivery.claimed_by) == holder,
        )
        .values(claimed_by=None, claimed_until=None, **values)
    )
    return int(cast(CursorResult[Any], result).rowcount) == 1


def notification(session: Session, notification_id: int) -> Notification | None:
    return session.get(Notification, notification_id)
