"""bourse inbox [--unread] [--limit N] [--cursor C] [--json] | inbox read ID | webhook set URL |
show | remove"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from marketplace import limits
from marketplace.cli.common import UrlOption, exchange_client, fail
from marketplace.client import DatabourseClientError
from marketplace.notifications.schemas import WebhookPublic

console = Console()
err = Console(stderr=True)
inbox_app = typer.Typer(
    help="Your organisation's notifications (newest first); `bourse inbox read ID` marks one.",
    invoke_without_command=True,
)
webhook_app = typer.Typer(
    help="Your organisation's webhook: notifications POSTed to a URL, signed (HMAC-SHA256).",
    no_args_is_help=True,
)

_PAYLOAD_SHOWN_CHARS = 80


@inbox_app.callback()
def inbox(
    ctx: typer.Context,
    *,
    unread: Annotated[bool, typer.Option("--unread", help="Only those not read yet.")] = False,
    limit: Annotated[
        int, typer.Option(min=1, max=limits.page_size_max, help="How many to show.")
    ] = 20,
    cursor: Annotated[
        str | None, typer.Option(help="Continue from an earlier page's next cursor.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the page as JSON, every payload whole.")
    ] = False,
    url: UrlOption = None,
) -> None:
    """List your organisation's notifications, newest first. The table shortens long payloads;
    --json prints them whole."""
    if ctx.invoked_subcommand is not None:
        return
    with exchange_client(url) as bourse:
        try:
            page = bourse.inbox.page(unread=unread, cursor=cursor, limit=limit)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    if as_json:
        print(page.model_dump_json(indent=2))
        return
    if not page.items:
        console.print("no unread notifications" if unread else "no notifications")
        return
    table = Table("id", "", "when (UTC)", "kind", "subject", "payload")
    shortened = False
    for n in page.items:
        payload = json.dumps(n.payload, ensure_ascii=False)
        if len(payload) > _PAYLOAD_SHOWN_CHARS:
            payload = payload[: _PAYLOAD_SHOWN_CHARS - 1] + "…"
            shortened = True
        table.add_row(
            str(n.id),
            "●" if n.unread else "",
            f"{n.created_at:%Y-%m-%d %H:%M}",
            n.kind,
            n.subject,
            payload,
        )
    console.print(table)
    console.print(f"{page.unread_total} unread in all")
    if shortened:
        console.print("payloads ending in … are shortened: [bold]--json[/bold] prints them whole")
    if page.next_cursor is not None:
        console.print(f"older: [bold]bourse inbox --cursor {page.next_cursor}[/bold]")


@inbox_app.command("read")
def read(
    notification_id: Annotated[int, typer.Argument(min=1, help="The notification's id.")],
    url: UrlOption = None,
) -> None:
    """Mark a notification read (for everyone in your organisation)."""
    with exchange_client(url) as bourse:
        try:
            n = bourse.inbox.mark_read(notification_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(f"notification {n.id} read")


def _show(hook: WebhookPublic) -> None:
    console.print(f"webhook: {hook.url}")
    console.print(f"secret made {hook.secret_created_at:%Y-%m-%d %H:%M:%S} UTC")
    console.print(
        f"deliveries pending: {hook.pending_deliveries}, failed: {hook.failed_deliveries}"
    )


@webhook_app.command("set")
def set_webhook(
    target: Annotated[str, typer.Argument(metavar="URL", help="An https:// URL to POST to.")],
    rotate_secret: Annotated[
        bool, typer.Option("--rotate-secret", help="Make a new secret; the old stops at once.")
    ] = False,
    url: UrlOption = None,
) -> None:
    """Set or change the webhook URL (organisation admins). A new webhook's secret is printed
    once: keep it to verify signatures (docs/notifications.md)."""
    with exchange_client(url) as bourse:
        try:
            hook = bourse.inbox.set_webhook(target, rotate_secret=rotate_secret)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    _show(hook)
    if hook.secret is not None:
        console.print(f"signing secret (shown only now, keep it): [bold]{hook.secret}[/bold]")


@webhook_app.command("show")
def show_webhook(url: UrlOption = None) -> None:
    """The webhook's URL and when its secret was made (the secret is never shown again)."""
    with exchange_client(url) as bourse:
        try:
            hook = bourse.inbox.webhook()
        except DatabourseClientError as exc:
            if exc.code == "webhook_not_found":  # the exchange's message names the HTTP route
                err.print("no webhook: set one with [bold]bourse webhook set URL[/bold]")
                raise typer.Exit(1) from exc
            raise fail(exc) from exc
    _show(hook)


@webhook_app.command("remove")
def remove_webhook(url: UrlOption = None) -> None:
    """Remove the webhook (organisation admins); undelivered notifications are marked failed
    and stay in the inbox."""
    with exchange_client(url) as bourse:
        try:
            bourse.inbox.remove_webhook()
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print("webhook removed")


def register(app: typer.Typer) -> None:
    app.add_typer(inbox_app, name="inbox")
    app.add_typer(webhook_app, name="webhook")
