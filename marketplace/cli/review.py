"""bourse review queue | approve ID | reject ID: the operator's compliance review (合规评估).

A review records the four checklist items (authority, personal_information, classification,
metadata_complete). ``approve`` states that every item passed, with optional notes;
``reject`` names the items that failed and the reasons the supplier can act on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from marketplace.assets.schemas import Checklist
from marketplace.cli.common import AssetArg, UrlOption, exchange_client, fail
from marketplace.client import DatabourseClientError

console = Console()
err = Console(stderr=True)
review_app = typer.Typer(
    help="Compliance review of submitted assets: queue, approve, reject (operators).",
    no_args_is_help=True,
)
ITEMS = tuple(Checklist.model_fields)
NoteOption = Annotated[
    list[str] | None,
    typer.Option("--note", help=f"ITEM=TEXT, a note on a checklist item ({', '.join(ITEMS)})."),
]
ChecklistOption = Annotated[
    Path | None,
    typer.Option(exists=True, dir_okay=False, help="The whole checklist as JSON instead."),
]


def _notes(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values or []:
        item, sep, text = value.partition("=")
        if not sep or item.strip() not in ITEMS:
            err.print(
                f"[red]--note {value!r}[/red]: use ITEM=TEXT with ITEM one of {', '.join(ITEMS)}"
            )
            raise typer.Exit(2)
        out[item.strip()] = text.strip()
    return out


def _checklist(file: Path | None, failed: list[str], notes: dict[str, str]) -> dict[str, Any]:
    if file is not None:
        try:
            loaded: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            err.print(f"[red]{file} is not JSON[/red]: {exc}")
            raise typer.Exit(2) from None
        return loaded
    unknown = [item for item in failed if item not in ITEMS]
    if unknown:
        err.print(f"[red]unknown checklist item {unknown[0]!r}[/red]: use {', '.join(ITEMS)}")
        raise typer.Exit(2)
    return {item: {"passed": item not in failed, "note": notes.get(item, "")} for item in ITEMS}


def _record(
    asset_id: int, decision: str, checklist: dict[str, Any], reasons: str, url: str | None
) -> None:
    with exchange_client(url) as client:
        try:
            row = client.assets.review(
                asset_id, decision=decision, checklist=checklist, reasons=reasons
            )
            asset = client.assets.get(asset_id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    console.print(
        f"asset {asset_id} revision {row.revision} {row.decision} (review {row.id}, journal seq "
        f"{row.journal_seq}); the asset is now {asset.status}"
    )


@review_app.command("queue")
def queue(
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    url: UrlOption = None,
) -> None:
    """The assets waiting for review, oldest first."""
    with exchange_client(url) as client:
        try:
            page = client.assets.search(status="under_review", limit=limit)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    table = Table("id", "title", "owner", "classification", "personal info", "authority")
    for a in sorted(page.items, key=lambda a: a.updated_at):
        table.add_row(
            str(a.id),
            a.title,
            str(a.owner_organization_id),
            str(a.classification),
            "yes" if a.personal_information else "no",
            a.authority_proof[:60],
        )
    console.print(table)
    console.print(f"{len(page.items)} of {page.total} waiting")


@review_app.command("approve")
def approve(
    asset_id: AssetArg,
    *,
    note: NoteOption = None,
    checklist: ChecklistOption = None,
    url: UrlOption = None,
) -> None:
    """Approve: every checklist item passed. The exchange issues the registration certificate."""
    _record(asset_id, "approved", _checklist(checklist, [], _notes(note)), "", url)


@review_app.command("reject")
def reject(
    asset_id: AssetArg,
    *,
    reason: Annotated[str, typer.Option(help="What the supplier must fix (shown to them).")],
    failed: Annotated[
        list[str] | None,
        typer.Option(help=f"A checklist item that failed (repeatable): {', '.join(ITEMS)}."),
    ] = None,
    note: NoteOption = None,
    checklist: ChecklistOption = None,
    url: UrlOption = None,
) -> None:
    """Reject with reasons; name the checklist items that failed."""
    if checklist is None and not failed:
        err.print(f"[red]name what failed[/red]: --failed ITEM (one of {', '.join(ITEMS)})")
        raise typer.Exit(2)
    _record(asset_id, "rejected", _checklist(checklist, failed or [], _notes(note)), reason, url)


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
