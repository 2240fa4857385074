"""bourse download ID [-o FILE] [--order] [--key FILE] [--receipt] | bourse licence list|show |
bourse delivery-key create FILE | show

``bourse download`` asks for a signed URL (one download of the licence), streams the file with a
progress bar, resumes it if the connection breaks, checks the bytes against the SHA-256 the
exchange recorded in ``delivery.served`` and, for key-wrapped delivery, unwraps the data key
with your X25519 private key (``--key``) and decrypts. ``--receipt`` signs the receipt that
acceptance uses.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from marketplace.cli.common import BUYERS, PanelOrderedGroup, UrlOption, exchange_client, fail
from marketplace.client import DatabourseClientError
from marketplace.client.delivery import load_private_key
from marketplace.delivery.schemas import LicenceView

console = Console()
err = Console(stderr=True)
licence_app = typer.Typer(
    help="Licences: the ones your organisation holds.", no_args_is_help=True, cls=PanelOrderedGroup
)
key_app = typer.Typer(
    help="Your organisation's X25519 key for key-wrapped delivery.",
    no_args_is_help=True,
    cls=PanelOrderedGroup,
)


def _show(licence: LicenceView) -> None:
    downloads = (
        f"{licence.downloads} of {licence.max_downloads}"
        if licence.max_downloads is not None
        else f"{licence.downloads} (unlimited)"
    )
    console.print(
        f"licence {licence.id}: order {licence.order_id}, asset {licence.asset_id} revision "
        f"{licence.revision}, for {licence.purpose}; {licence.delivery_mode}; downloads "
        f"{downloads}; expires {licence.expires_at:%Y-%m-%d %H:%M} UTC"
    )


def download(
    target: Annotated[int, typer.Argument(min=1, help="The licence's id (the order's: --order).")],
    *,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Where to write the file.")
    ] = None,
    order: Annotated[bool, typer.Option("--order", help="TARGET is an order id.")] = False,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key", exists=True, dir_okay=False, help="X25519 private key (key-wrapped delivery)."
        ),
    ] = None,
    receipt: Annotated[
        bool, typer.Option("--receipt", help="Sign the receipt for the bytes received.")
    ] = False,
    url: UrlOption = None,
) -> None:
    """Download a licensed revision (uses one download of the licence), check it against the
    delivery.served entry, and decrypt it when it is key-wrapped."""
    with exchange_client(url) as bourse:
        try:
            private = load_private_key(key) if key is not None else None
        except (ValueError, OSError) as exc:
            err.print(f"[red]invalid_key[/red]: {exc}")
            raise typer.Exit(1) from exc
        try:
            licence = (
                bourse.delivery.licence_for_order(target)
                if order
                else bourse.delivery.licence(target)
            )
            destination = output or Path(f"licence-{licence.id}-asset-{licence.asset_id}.data")
            columns = (
                TextColumn("[bold]download[/bold]"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
            )
            with Progress(*columns, console=err, transient=True) as progress:
                task = progress.add_task("download", total=None)

                def advance(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                got = bourse.delivery.download(
                    licence.id, destination, private_key=private, progress=advance
                )
            console.print(
                f"wrote {got.path} ({got.size_bytes} bytes served, {got.mode}); sha256 "
                f"{got.sha256} matches delivery.served entry {got.served_seq}"
                + (
                    f" (the ciphertext served); the data's sha256 {got.plain_sha256} matches "
                    "the revision's asset.revision_added entry"
                    if got.plain_sha256 is not None
                    else ""
                ),
                soft_wrap=True,  # a hash is copied whole, never folded at the terminal's width
            )
            if receipt:
                signed = bourse.delivery.receipt(
                    licence.id, served_seq=got.served_seq, sha256=got.sha256
                )
                console.print(
                    f"receipt signed by {signed.signer}; journal entry {signed.journal_seq} "
                    "(delivery.receipted)"
                )
        except DatabourseClientError as exc:
            raise fail(exc) from exc


@licence_app.command("list", rich_help_panel=BUYERS)
def list_licences(url: UrlOption = None) -> None:
    """Your organisation's licences, newest first."""
    shown = 0
    before_id: int | None = None
    with exchange_client(url) as bourse:
        while True:  # page by page: the exchange serves at most a page at a time
            try:
                page = bourse.delivery.licences(before_id=before_id)
            except DatabourseClientError as exc:
                raise fail(exc) from exc
            for licence in page.items:
                _show(licence)
            shown += len(page.items)
            if page.next_before_id is None:
                break
            before_id = page.next_before_id
    if not shown:
        console.print("no licences")


@licence_app.command("show", rich_help_panel=BUYERS)
def show_licence(
    licence_id: Annotated[int, typer.Argument(min=1, help="The licence's id.")],
    url: UrlOption = None,
) -> None:
    """One of your organisation's licences."""
    with exchange_client(url) as bourse:
        try:
            licence = bourse.delivery.licence(licence_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    _show(licence)


@key_app.command("create", rich_help_panel=BUYERS)
def create_key(
    path: Annotated[Path, typer.Argument(dir_okay=False, help="Where to keep the private key.")],
    url: UrlOption = None,
) -> None:
    """Make an X25519 key pair, keep the private key in PATH (mode 0600, PEM) and register the
    public key for your organisation: later key-wrapped downloads are wrapped to it."""
    if path.exists():
        err.print(f"[red]exists[/red]: {path} already exists; choose another path")
        raise typer.Exit(1)
    private = x25519.X25519PrivateKey.generate()
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    public_hex = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    with exchange_client(url) as bourse:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        try:
            view = bourse.delivery.register_key(public_hex)
        except DatabourseClientError as exc:
            path.unlink()
            raise fail(exc) from exc
    console.print(
        f"registered {view.public_key} for organisation {view.organization_id}; private key in "
        f"{path} (keep it: downloads wrapped to this key open only with it)"
    )


@key_app.command("show", rich_help_panel=BUYERS)
def show_key(url: UrlOption = None) -> None:
    """Your organisation's registered delivery key."""
    with exchange_client(url) as bourse:
        try:
            view = bourse.delivery.key()
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(f"{view.public_key} (registered {view.registered_at:%Y-%m-%d %H:%M} UTC)")


def register(app: typer.Typer) -> None:
    app.command("download")(download)
    app.add_typer(licence_app, name="licence")
    app.add_typer(key_app, name="delivery-key")
