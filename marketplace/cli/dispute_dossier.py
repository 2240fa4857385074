"""bourse dispute dossier ID -o dossier.zip: export a dispute's dossier for `bourse verify`
(the dispute's parties, its drawn arbitrators and operators)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from marketplace.cli.common import UrlOption, exchange_client, fail
from marketplace.client import DatabourseClientError

console = Console()


def dossier(
    dispute_id: Annotated[int, typer.Argument(min=1, help="The dispute's id.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Where to write the zip.")
    ] = None,
    url: UrlOption = None,
) -> None:
    """Export the dispute's dossier (every record, evidence file and receipt) as a zip; check it
    with `bourse verify dossier.zip --chain URL`."""
    destination = output or Path(f"dispute-{dispute_id}-dossier.zip")
    with exchange_client(url) as bourse:
        try:
            size = bourse.dossiers.download(dispute_id, destination)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    console.print(
        f"dossier of dispute {dispute_id} written to {destination} ({size} bytes); verify it "
        f"with `bourse verify {destination} --chain URL`"
    )


def add_commands(group: typer.Typer) -> None:
    group.command("dossier")(dossier)
