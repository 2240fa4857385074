"""bourse dispute evidence ID FILE | --statement TEXT [--title T] [--media-type M] [--json]

Folded under the ``dispute`` group: ``add_commands(group)`` adds ``evidence`` to a group that
holds the other dispute commands; ``register(app)`` makes a ``dispute`` group of its own until
then."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from marketplace.cli.common import UrlOption, exchange_client, fail
from marketplace.client import DatabourseClientError

console = Console()


def evidence(
    dispute_id: Annotated[int, typer.Argument(min=1, help="The dispute id.")],
    file: Annotated[
        Path | None,
        typer.Argument(exists=True, dir_okay=False, help="A file to submit as evidence."),
    ] = None,
    *,
    statement: Annotated[
        str | None, typer.Option("--statement", help="Submit this text as a statement.")
    ] = None,
    title: Annotated[str | None, typer.Option(help="The item's title (default: the name).")] = None,
    media_type: Annotated[
        str, typer.Option("--media-type", help="The file's media type.")
    ] = "application/octet-stream",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    url: UrlOption = None,
) -> None:
    """Submit FILE, or a --statement, as evidence in dispute DISPUTE_ID (its buyer or
    supplier, before submissions close). The exchange stores it encrypted, signs it for your
    account and records its SHA-256 in the journal (evidence.submitted). Your side's first item
    holds the arbitration fee when your side did not open the dispute."""
    if (file is None) == (statement is None):
        console.print("give a FILE or --statement TEXT (one of them)", style="red")
        raise typer.Exit(2)
    with exchange_client(url) as client:
        try:
            if file is not None:
                item = client.dispute_evidence.submit_file(
                    dispute_id, file, title=title, media_type=media_type
                )
            else:
                assert statement is not None
                item = client.dispute_evidence.submit_statement(
                    dispute_id, statement, title=title or "Statement"
                )
        except DatabourseClientError as exc:
            raise fail(exc) from None
    if as_json:
        print(item.model_dump_json(indent=2))
        return
    console.print(
        f"evidence {item.id} ({item.kind}, {item.size_bytes} bytes) · sha256 {item.sha256} · "
        f"signed by {item.signer} · journal seq {item.journal_seq}"
    )


def add_commands(group: typer.Typer) -> None:
    group.command("evidence")(evidence)
