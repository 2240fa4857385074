"""Notifications' rules: ``notify`` (what other domains call), the inbox, and the
organisation's webhook. Never commits; the caller's unit of work does.

``notify`` writes the inbox row and, when the organisation has a webhook, its delivery row in
the caller's transaction: a notification exists exactly when the business change that caused
it does (transactional outbox). The delivery worker (``delivery.py``) sends it afterwards.

Notifications are not journaled: each repeats a fact its own domain journals (a match, a
quote). Setting and removing a webhook are journaled (``webhook.set``, ``webhook.removed``, with
the URL's SHA-256, never the URL or the secret): they decide where an organisation's business
news goes.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any

from sqlmodel import Session

from ledger import journal
from ledger.models import utc_now
from marketplace import limits
from marketplace.digits import whole_number
from marketplace.identity import service as identity
from marketplace.identity.errors import AdminRequired
from marketplace.notifications import repository
from marketplace.notifications.errors import (
    InvalidCursor,
    InvalidNotification,
    NotificationNotFound,
    WebhookNotFound,
    WebhookUrlRefused,
)
from marketplace.notifications.models import (
    DeliveryStatus,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)
from marketplace.notifications.schemas import (
    InboxPage,
    NotificationPublic,
    WebhookPublic,
    WebhookSet,
)
from marketplace.notifications.sealing import seal
from marketplace.notifications.signing import new_secret
from marketplace.notifications.urls import Resolver, UnsafeUrl, check_webhook_url, system_resolver
from marketplace.principal import Principal
from marketplace.settings import Settings

ADMIN = "admin"  # identity's membership role that may manage the organisation
_KIND = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
REMOVED_REASON = "the organisation removed its webhook"


def subject_of(organization_id: int) -> str:
    return f"organization:{organization_id}"


# --- notify --------------------------------------------------------------------------------


def _check(kind: str, subject: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as it will be stored (a JSON object), or InvalidNotification."""
    if len(kind) > limits.notification_kind_length_max or not _KIND.fullmatch(kind):
        raise InvalidNotification(f"a notification kind is dotted lowercase words, not {kind!r}")
    if not 0 < len(subject) <= limits.notification_subject_length_max:
        raise InvalidNotification(
            f"a notification subject has 1 to {limits.notification_subject_length_max} characters"
        )
    try:
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidNotification(f"the notification payload is not JSON: {exc}") from exc
    if len(text.encode()) > limits.notification_payload_bytes_max:
        raise InvalidNotification(
            f"the notification payload exceeds {limits.notification_payload_bytes_max} bytes"
        )
    stored: dict[str, Any] = json.loads(text)
    return stored


def notify(
    session: Session,
    *,
    organization_id: int,
    kind: str,
    subject: str,
    payload: dict[str, Any],
    now: datetime | None = None,
) -> None:
    """Puts a notification in the organisation's inbox and, when it has a webhook, queues its
    delivery, both in the caller's transaction."""
    stored = _check(kind, subject, payload)
    if identity.organization(session, organization_id) is None:
        raise InvalidNotification(f"no organisation {organization_id} to notify")
    moment = now or utc_now()
    row = repository.add_notification(
        session,
        Notification(
            organization_id=organization_id,
            kind=kind,
            subject=subject,
            payload=stored,
            created_at=moment,
        ),
    )
    if repository.webhook(session, organization_id) is None:
        return
    assert row.id is not None
    repository.add_delivery(
        session,
        WebhookDelivery(
            notification_id=row.id,
            organization_id=organization_id,
            next_attempt_at=moment,
            created_at=moment,
        ),
    )


# --- the inbox -----------------------------------------------------------------------------


def notification_public(row: Notification) -> NotificationPublic:
    assert row.id is not None
    return NotificationPublic(
        id=row.id,
        kind=row.kind,
        subject=row.subject,
        payload=row.payload,
        created_at=row.created_at,
        read_at=row.read_at,
        unread=row.read_at is None,
    )


def _before_id(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    before_id = whole_number(cursor)
    if before_id is None or not 1 <= before_id <= limits.id_max:
        raise InvalidCursor("the cursor is not one this exchange handed out: start again without")
    return before_id


def inbox(
    session: Session,
    principal: Principal,
    *,
    cursor: str | None = None,
    unread_only: bool = False,
    limit: int = limits.page_size_default,
) -> InboxPage:
    """The caller's organisation's notifications, newest first, a page at a time."""
    assert 1 <= limit <= limits.page_size_max
    organization_id = principal.account.organization_id
    rows = repository.inbox(
        session,
        organization_id,
        before_id=_before_id(cursor),
        unread_only=unread_only,
        limit=limit + 1,  # one more tells whether another page follows
    )
    page = rows[:limit]
    more = len(rows) > limit
    return InboxPage(
        items=[notification_public(r) for r in page],
        next_cursor=str(page[-1].id) if more and page else None,
        unread_total=repository.unread_count(session, organization_id),
    )


def mark_read(
    session: Session, principal: Principal, notification_id: int, now: datetime
) -> NotificationPublic:
    """Marks one of the organisation's notifications read (again: no change). Another
    organisation's notification is not found, as one that does not exist."""
    organization_id = principal.account.organization_id
    if repository.notification_of(session, organization_id, notification_id) is None:
        raise NotificationNotFound(f"no notification {notification_id} in your inbox")
    repository.mark_read(session, notification_id, now)
    row = repository.notification_of(session, organization_id, notification_id)
    assert row is not None
    session.refresh(row)
    return notification_public(row)


# --- the webhook ---------------------------------------------------------------------------


def _require_admin(principal: Principal, action: str) -> None:
    if principal.account.membership_role != ADMIN:
        raise AdminRequired(f"only an admin of your organisation can {action} its webhook")


def _webhook_public(
    session: Session, endpoint: WebhookEndpoint, secret: str | None = None
) -> WebhookPublic:
    counts = repository.delivery_counts(session, endpoint.organization_id)
    return WebhookPublic(
        url=endpoint.url,
        secret_created_at=endpoint.secret_created_at,
        updated_at=endpoint.updated_at,
        secret=secret,
        pending_deliveries=counts.get(DeliveryStatus.pending.value, 0)
        + counts.get(DeliveryStatus.delivering.value, 0),
        failed_deliveries=counts.get(DeliveryStatus.failed.value, 0),
    )


def set_webhook(
    session: Session,
    settings: Settings,
    principal: Principal,
    body: WebhookSet,
    *,
    now: datetime,
    resolver: Resolver = system_resolver,
) -> WebhookPublic:
    """Sets (or changes) the organisation's webhook URL (admins). A new webhook, or
    ``rotate_secret``, gets a fresh secret, returned once in this answer."""
    _require_admin(principal, "set")
    try:
        check_webhook_url(
            body.url, allow_loopback=settings.webhook_allow_loopback, resolver=resolver
        )
    except UnsafeUrl as exc:
        raise WebhookUrlRefused(f"webhook URL refused: {exc}") from exc
    organization_id = principal.account.organization_id
    endpoint = repository.webhook(session, organization_id)
    secret = new_secret() if endpoint is None or body.rotate_secret else None
    if endpoint is None:
        assert secret is not None
        endpoint = WebhookEndpoint(
            organization_id=organization_id,
            url=body.url,
            master_key_id="",
            secret_nonce=b"",
            secret_ciphertext=b"",
            secret_created_at=now,
            updated_by=principal.account_id,
            updated_at=now,
        )
    endpoint.url, endpoint.updated_by, endpoint.updated_at = body.url, principal.account_id, now
    if secret is not None:
        sealed = seal(settings.master_key_bytes, organization_id, secret)
        endpoint.master_key_id = sealed.master_key_id
        endpoint.secret_nonce, endpoint.secret_ciphertext = sealed.nonce, sealed.ciphertext
        endpoint.secret_created_at = now
    repository.save_webhook(session, endpoint)
    journal.append(
        session,
        kind="webhook.set",
        subject=subject_of(organization_id),
        actor=principal.address,
        payload={
            "organization_id": organization_id,
            "url_sha256": hashlib.sha256(body.url.encode()).hexdigest(),
            "secret_rotated": secret is not None,
        },
    )
    return _webhook_public(session, endpoint, secret)


def webhook(session: Session, principal: Principal) -> WebhookPublic:
    """The organisation's webhook: its URL and when its secret was made, never the secret."""
    endpoint = repository.webhook(session, principal.account.organization_id)
    if endpoint is None:
        raise WebhookNotFound("your organisation has no webhook: set one with PUT")
    return _webhook_public(session, endpoint)


def remove_webhook(session: Session, principal: Principal, now: datetime) -> None:
    """Removes the webhook (admins); its undelivered notifications are marked failed (they stay
    in the inbox)."""
    _require_admin(principal, "remove")
    organization_id = principal.account.organization_id
    endpoint = repository.webhook(session, organization_id)
    if endpoint is None:
        raise WebhookNotFound("your organisation has no webhook")
    repository.fail_unfinished(session, organization_id, REMOVED_REASON, now)
    repository.delete_webhook(session, endpoint)
    journal.append(
        session,
        kind="webhook.removed",
        subject=subject_of(organization_id),
        actor=principal.address,
        payload={"organization_id": organization_id},
    )
