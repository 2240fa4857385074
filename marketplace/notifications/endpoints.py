"""Notification HTTP endpoints: the caller's organisation's inbox, and its webhook."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from ledger.models import utc_now
from marketplace import limits
from marketplace.deps import SessionDep, SettingsDep
from marketplace.identity.auth import CurrentAccount
from marketplace.notifications import service
from marketplace.notifications.schemas import (
    InboxPage,
    NotificationPublic,
    WebhookPublic,
    WebhookSet,
)
from marketplace.paging import ID_DIGITS

router = APIRouter(tags=["notifications"])
NotificationId = Annotated[
    int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="notification id")
]


@router.get("/inbox", summary="Your organisation's notifications, newest first")
def inbox(
    principal: CurrentAccount,
    session: SessionDep,
    cursor: Annotated[
        str | None, Query(max_length=32, description="next_cursor of the previous page")
    ] = None,
    unread: Annotated[bool, Query(description="only notifications not read yet")] = False,
    limit: Annotated[int, Query(ge=1, le=limits.page_size_max)] = limits.page_size_default,
) -> InboxPage:
    return service.inbox(session, principal, cursor=cursor, unread_only=unread, limit=limit)


@router.post("/inbox/{notification_id}/read", summary="Mark a notification read")
def mark_read(
    notification_id: NotificationId, principal: CurrentAccount, session: SessionDep
) -> NotificationPublic:
    return service.mark_read(session, principal, notification_id, utc_now())


@router.get("/organizations/me/webhook", summary="Your organisation's webhook (never its secret)")
def get_webhook(principal: CurrentAccount, session: SessionDep) -> WebhookPublic:
    return service.webhook(session, principal)


@router.put(
    "/organizations/me/webhook",
    summary="Set the webhook URL (admins); a new webhook's secret is shown once",
)
def set_webhook(
    body: WebhookSet, principal: CurrentAccount, session: SessionDep, settings: SettingsDep
) -> WebhookPublic:
    return service.set_webhook(session, settings, principal, body, now=utc_now())


@router.delete(
    "/organizations/me/webhook",
    status_code=204,
    summary="Remove the webhook (admins); undelivered notifications are marked failed",
)
def remove_webhook(principal: CurrentAccount, session: SessionDep) -> Response:
    service.remove_webhook(session, principal, utc_now())
    return Response(status_code=204)
