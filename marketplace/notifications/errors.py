"""Notification errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import BadRequest, NotFound


class NotificationNotFound(NotFound):
    code = "notification_not_found"


class WebhookNotFound(NotFound):
    code = "webhook_not_found"


class WebhookUrlRefused(BadRequest):
    code = "webhook_url_refused"


class InvalidCursor(BadRequest):
    code = "invalid_cursor"


class InvalidNotification(BadRequest):
    """A domain asked to notify with a malformed kind, subject or payload (a programming error
    of the caller, reported as 400 so that it never becomes a 500)."""

    code = "invalid_notification"
