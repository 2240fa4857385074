"""bourse objection file | list | show | escalate | decide | suspend | reinstate

Evidence files are hashed here (SHA-256); only the hashes go to the exchange.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from marketplace.assets.models import ObjectionReason
from marketplace.assets.schemas import ObjectionPublic
from marketplace.cli.common import (
    BUYERS,
    OPERATORS,
    PanelOrderedGroup,
    UrlOption,
    exchange_client,
    fail,
)
from marketplace.client import DatabourseClientError

console = Console()
objection_app = typer.Typer(
    help="Objections (异议) to assets: file and follow them; operators decide, suspend, reinstate.",
    no_args_is_help=True,
    cls=PanelOrderedGroup,
)

_READ_BYTES = 1024 * 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_READ_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _show(row: ObjectionPublic) -> None:
    console.print(
        f"objection {row.id} on asset {row.asset_id}: [bold]{row.status}[/bold] "
        f"({row.reason_code}, filed {row.created_at:%Y-%m-%d %H:%M} UTC by organisation "
        f"{row.organization_id})"
    )
    console.print(f"statement: {row.statement}")
    for digest in row.evidence_hashes:
        console.print(f"evidence sha256: {digest}")
    if row.resolution is not None:
        console.print(f"decision: {row.resolution}")


@objection_app.command("file", rich_help_panel=BUYERS)
def file_objection(
    asset_id: Annotated[int, typer.Argument(help="The asset objected to.")],
    *,
    reason: Annotated[ObjectionReason, typer.Option(help="Why you object.")],
    statement: Annotated[str, typer.Option(help="What you claim, and why (20+ characters).")],
    evidence: Annotated[
        list[Path],
        typer.Option(
            exists=True, dir_okay=False, help="An evidence file (repeat); only its hash is sent."
        ),
    ],
    url: UrlOption = None,
) -> None:
    """File an objection (verified organisations). The asset stays listed, flagged."""
    hashes = [_sha256(p) for p in evidence]
    with exchange_client(url) as bourse:
        try:
            row = bourse.objections.file(
                asset_id, reason_code=reason.value, statement=statement, evidence_hashes=hashes
            )
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    _show(row)
    console.print(f"follow it with [bold]bourse objection show {row.id}[/bold]")
    print(row.id)


@objection_app.command("list", rich_help_panel=BUYERS)
def list_objections(
    status: Annotated[str | None, typer.Option(help="open, upheld or dismissed.")] = None,
    url: UrlOption = None,
) -> None:
    """Objections your organisation filed or faces (operators and arbitrators: all)."""
    with exchange_client(url) as bourse:
        try:
            page = bourse.objections.search(status=status)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    if not page.items:
        console.print("no objections")
        return
    table = Table("id", "asset", "by organisation", "reason", "status", "filed")
    for row in page.items:
        table.add_row(
            str(row.id),
            str(row.asset_id),
            str(row.organization_id),
            row.reason_code,
            row.status,
            f"{row.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)
    if page.total > len(page.items):
        console.print(f"{len(page.items)} of {page.total} shown")


@objection_app.command("show", rich_help_panel=BUYERS)
def show_objection(
    objection_id: Annotated[int, typer.Argument(help="The objection's id.")],
    url: UrlOption = None,
) -> None:
    """One objection and its status."""
    with exchange_client(url) as bourse:
        try:
            row = bourse.objections.get(objection_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    _show(row)


@objection_app.command("escalate", rich_help_panel=BUYERS)
def escalate_objection(
    objection_id: Annotated[int, typer.Argument(help="The objection's id.")],
    *,
    statement: Annotated[str, typer.Option(help="Why you ask for arbitration; both read it.")],
    url: UrlOption = None,
) -> None:
    """Escalate an open objection to arbitration (its objector or the asset's owner): a
    dispute opens and your arbitration fee is held; follow it with `bourse dispute`."""
    with exchange_client(url) as bourse:
        try:
            dispute = bourse.objections.escalate(objection_id, statement=statement)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(
        f"objection {objection_id} escalated: dispute {dispute.id} is [bold]{dispute.status}"
        f"[/bold]; evidence closes {dispute.evidence_closes_at:%Y-%m-%d %H:%M} UTC"
    )


@objection_app.command("decide", rich_help_panel=OPERATORS)
def decide_objection(
    objection_id: Annotated[int, typer.Argument(help="The objection's id.")],
    *,
    decision: Annotated[str, typer.Option(help="upheld (suspends) or dismissed (restores).")],
    reasons: Annotated[str, typer.Option(help="Why; the parties read it.")],
    url: UrlOption = None,
) -> None:
    """Uphold or dismiss an objection (operators)."""
    with exchange_client(url) as bourse:
        try:
            row = bourse.objections.decide(objection_id, decision=decision, reasons=reasons)
            asset = bourse.assets.get(row.asset_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    _show(row)
    console.print(f"asset {asset.id} is now {asset.status}")


@objection_app.command("suspend", rich_help_panel=OPERATORS)
def suspend(
    asset_id: Annotated[int, typer.Argument(help="The asset.")],
    *,
    reason: Annotated[str, typer.Option(help="Why; the owner reads it.")],
    objection: Annotated[
        int | None, typer.Option(help="The objection it is for: dismissing it lifts this.")
    ] = None,
    url: UrlOption = None,
) -> None:
    """Take an asset out of the catalog (operators); journaled with the reason's hash."""
    with exchange_client(url) as bourse:
        try:
            asset = bourse.assets.suspend(asset_id, reason, objection_id=objection)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(f"asset {asset.id} is suspended: {asset.suspension_reason}")


@objection_app.command("reinstate", rich_help_panel=OPERATORS)
def reinstate(
    asset_id: Annotated[int, typer.Argument(help="The asset.")],
    *,
    reason: Annotated[str, typer.Option(help="Why the suspension ends.")],
    url: UrlOption = None,
) -> None:
    """Lift a suspension: the asset returns to the status it had (operators)."""
    with exchange_client(url) as bourse:
        try:
            asset = bourse.assets.reinstate(asset_id, reason)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(f"asset {asset.id} is {asset.status} again")


def register(app: typer.Typer) -> None:
    app.add_typer(objection_app, name="objection")
