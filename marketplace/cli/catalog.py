"""bourse asset certificate | search | show: the catalog as everyone reads it, no login needed
(logged in, search shows your own drafts too)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from marketplace import limits
from marketplace.cli.common import EVERYONE, AssetArg, UrlOption, fail, reading_client
from marketplace.client import DatabourseClientError

console = Console()


def certificate(
    asset_id: AssetArg,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
    url: UrlOption = None,
) -> None:
    """Fetch the registration certificate with its receipt, for `bourse verify`."""
    with reading_client(url) as client:
        try:
            document = client.assets.certificate(asset_id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if output is None:
        print(text)
        return
    output.write_text(text + "\n")
    status = document.get("anchor_status")
    note = "" if status == "anchored" else " (not anchored yet: fetch again to get the receipt)"
    console.print(f"certificate of asset {asset_id} written to {output}{note}")


def search(
    q: Annotated[str | None, typer.Argument(help="Keywords.")] = None,
    *,
    theme: Annotated[str | None, typer.Option(help="Theme.")] = None,
    status: Annotated[str | None, typer.Option(help="Status (yours only beyond listed).")] = None,
    owner: Annotated[int | None, typer.Option(min=1, help="Owner organisation id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=limits.page_size_max)] = 50,
    url: UrlOption = None,
) -> None:
    """Search the catalog (your own drafts too when logged in)."""
    with reading_client(url) as client:
        try:
            page = client.assets.search(q=q, theme=theme, status=status, owner=owner, limit=limit)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    table = Table("id", "title", "status", "classification", "licence")
    for item in page.items:
        table.add_row(str(item.id), item.title, item.status, item.classification, item.license)
    console.print(table)
    console.print(f"{len(page.items)} of {page.total}")


def show(
    asset_id: AssetArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    url: UrlOption = None,
) -> None:
    """Show one asset: what its listings cost and allow, then its metadata, status and
    revisions."""
    with reading_client(url) as client:
        try:
            asset = client.assets.get(asset_id)
            offers = client.listings.for_asset(asset_id)
            revisions = client.assets.revisions(asset_id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    if as_json:
        body: dict[str, Any] = asset.model_dump(mode="json")
        body["listings"] = [o.model_dump(mode="json") for o in offers]
        body["revisions"] = [r.model_dump(mode="json") for r in revisions]
        print(json.dumps(body, indent=2, ensure_ascii=False))
        return
    for offer in offers:
        console.print(f"[bold]{offer.price_plain}[/bold] (listing {offer.id})")
        for line in offer.terms_plain:
            console.print(f"  {line}")
    if not offers:
        console.print("not offered: no active listing")
    table = Table(show_header=False, box=None)
    rows = [
        ("asset", f"{asset.id} {asset.title}"),
        (
            "status",
            f"{asset.status}, under objection (bourse objection list)"
            if asset.under_objection
            else str(asset.status),
        ),
        ("owner", f"organisation {asset.owner_organization_id} ({asset.publisher or ''})"),
        ("licence", asset.license),
        ("classification", str(asset.classification)),
        ("theme", asset.theme or ""),
        ("keywords", ", ".join(asset.keywords)),
        ("authority", asset.authority_proof),
        ("revisions", f"latest {asset.latest_revision}, registered {asset.certified_revision}"),
        ("description", asset.description),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    for r in revisions:
        console.print(
            f"  revision {r.number}: {r.content_format} {r.size_bytes or '-'} bytes "
            f"sha256 {r.sha256 or '-'}"
        )


def add_to(asset_app: typer.Typer) -> None:
    """Add the catalog commands to ``bourse asset``, in the Everyone panel."""
    asset_app.command("certificate", rich_help_panel=EVERYONE)(certificate)
    asset_app.command("search", rich_help_panel=EVERYONE)(search)
    asset_app.command("show", rich_help_panel=EVERYONE)(show)
