"""``bourse.inbox``: your organisation's notifications, a page at a time, marking them read;
and its webhook (admins set and remove it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from marketplace import limits
from marketplace.client.session import Session
from marketplace.notifications.schemas import InboxPage, NotificationPublic, WebhookPublic

WEBHOOK_PATH = "/organizations/me/webhook"


class Inbox:
    def __init__(self, session: Session) -> None:
        self._session = session

    def page(
        self,
        *,
        unread: bool = False,
        cursor: str | None = None,
        limit: int = limits.page_size_default,
    ) -> InboxPage:
        """One page, newest first; pass the page's ``next_cursor`` for the next (older) one."""
        params: dict[str, Any] = {"limit": limit}
        if unread:
            params["unread"] = "true"
        if cursor is not None:
            params["cursor"] = cursor
        return self._session.call(InboxPage, "GET", "/inbox", params=params)

    def all(self, *, unread: bool = False) -> Iterator[NotificationPublic]:
        """Every notification, newest first, fetching page after page."""
        cursor: str | None = None
        while True:
            page = self.page(unread=unread, cursor=cursor, limit=limits.page_size_max)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def mark_read(self, notification_id: int) -> NotificationPublic:
        return self._session.call(NotificationPublic, "POST", f"/inbox/{notification_id}/read")

    def webhook(self) -> WebhookPublic:
        """The organisation's webhook: its URL and when its secret was made (never the secret)."""
        return self._session.call(WebhookPublic, "GET", WEBHOOK_PATH)

    def set_webhook(self, url: str, *, rotate_secret: bool = False) -> WebhookPublic:
        """Set or change the URL (admins). A new webhook, or ``rotate_secret``, returns the
        signing secret in ``secret``: the only time it is shown."""
        body = {"url": url, "rotate_secret": rotate_secret}
        return self._session.call(WebhookPublic, "PUT", WEBHOOK_PATH, json=body)

    def remove_webhook(self) -> None:
        """Remove it (admins); notifications not yet delivered are marked failed."""
        self._session.request("DELETE", WEBHOOK_PATH)
