"""bourse fingerprint detect FILE --asset ID [--json]"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from marketplace import limits
from marketplace.cli.common import UrlOption, exchange_client, fail
from marketplace.client import DatabourseClientError

console = Console()
err = Console(stderr=True)
fingerprint_app = typer.Typer(
    help="Per-buyer fingerprints: trace a leaked copy to its licence.", no_args_is_help=True
)


@fingerprint_app.command("detect")
def detect(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The leaked copy.")],
    *,
    asset: Annotated[int, typer.Option(min=1, help="The asset it is a copy of.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    url: UrlOption = None,
) -> None:
    """Name the licence a copy of ASSET came from (the asset's owner, operators and
    arbitrators). The answer and the file's SHA-256 are recorded in the journal as evidence.
    Prints the licence id alone on the last line, or exits 1 when no licence is found. A file
    larger than a request may carry is sent in part: its first whole rows, up to the limit."""
    with file.open("rb") as leaked:
        content = leaked.read(limits.request_body_bytes_max + 1)
    if len(content) > limits.request_body_bytes_max:
        content = content[: content.rfind(b"\n", 0, limits.request_body_bytes_max) + 1]
        err.print(
            f"{file} is larger than the {limits.request_body_bytes_max} bytes a request may "
            f"carry: sending its first {len(content)} bytes, whole rows (the journal records "
            "the SHA-256 of that part)"
        )
    with exchange_client(url) as client:
        try:
            found = client.fingerprint.detect(asset, content)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    if as_json:
        print(found.model_dump_json(indent=2))
    else:
        console.print(found.conclusion)
        buyer = (
            f" · buyer organisation {found.buyer_organization_id}"
            if found.buyer_organization_id is not None
            else ""
        )
        console.print(
            f"sha256 {found.sha256} · {found.rows_read} rows read · "
            f"{found.candidates} licences compared{buyer} · journal seq {found.journal_seq}"
        )
    if found.licence_id is None:
        raise typer.Exit(1)
    if not as_json:
        print(found.licence_id)


def register(app: typer.Typer) -> None:
    app.add_typer(fingerprint_app, name="fingerprint")
