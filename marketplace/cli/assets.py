"""bourse asset register FILE | submit ID | certificate ID | search"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from marketplace.cli.common import UrlOption, exchange_client, fail
from marketplace.client import Databourse, DatabourseClientError

console = Console()
asset_app = typer.Typer(help="Data assets: register, submit, certificates.", no_args_is_help=True)

_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def format_of(path: Path) -> str:
    return _FORMATS.get(path.suffix.lower(), "opaque")


def upload_with_progress(client: Databourse, asset_id: int, path: Path, content_format: str) -> int:
    """Upload ``path`` as a new revision with a progress bar; returns the revision number."""
    columns = (
        TextColumn("[bold]upload[/bold]"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("upload", total=path.stat().st_size)
        revision = client.upload_revision(
            asset_id,
            path,
            content_format=content_format,
            progress=lambda n: progress.advance(task, n),
        )
    return revision.number


@asset_app.command("register")
def register_asset(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The data file.")],
    *,
    title: Annotated[str, typer.Option(help="Title (dct:title).")],
    license_id: Annotated[
        str, typer.Option("--license", help="SPDX id, e.g. CC-BY-4.0.")
    ] = "LicenseRef-Databourse-Contract",
    classification: Annotated[
        str, typer.Option(help="general | important | core (Data Security Law grade).")
    ] = "general",
    source_type: Annotated[
        str, typer.Option(help="collected | generated | purchased | public.")
    ] = "collected",
    authority_proof: Annotated[
        str, typer.Option(help="Proof of your authority to trade this data.")
    ] = "",
    description: Annotated[str, typer.Option(help="Description.")] = "",
    keyword: Annotated[list[str] | None, typer.Option(help="A keyword (repeatable).")] = None,
    theme: Annotated[str | None, typer.Option(help="Theme (dcat:theme).")] = None,
    language: Annotated[list[str] | None, typer.Option(help="Language tag (repeatable).")] = None,
    personal_information: Annotated[
        bool, typer.Option(help="Whether it holds personal information.")
    ] = False,
    lawful_basis: Annotated[
        str | None, typer.Option(help="PIPL art. 13 basis when it holds personal information.")
    ] = None,
    content_format: Annotated[
        str | None, typer.Option("--format", help="csv | jsonl | parquet | opaque (by suffix).")
    ] = None,
    submit: Annotated[bool, typer.Option(help="Submit for compliance review at once.")] = False,
    url: UrlOption = None,
) -> None:
    """Register FILE as a new asset (streamed, encrypted at rest) and print its id."""
    metadata = {
        "title": title,
        "description": description,
        "keywords": keyword or [],
        "theme": theme,
        "license": license_id,
        "languages": language or [],
        "classification": classification,
        "personal_information": personal_information,
        "lawful_basis": lawful_basis,
        "source_type": source_type,
        "authority_proof": authority_proof or f"registered by the owner of {file.name}",
    }
    with exchange_client(url) as client:
        try:
            asset = client.create_asset(metadata)
            number = upload_with_progress(client, asset.id, file, content_format or format_of(file))
            if submit:
                client.submit_asset(asset.id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    console.print(
        f"asset [bold]{asset.id}[/bold] registered, revision {number}"
        f"{', submitted for review' if submit else ' (draft: run bourse asset submit)'}"
    )
    print(asset.id)


@asset_app.command("submit")
def submit_asset(
    asset_id: Annotated[int, typer.Argument(min=1, help="The asset id.")],
    url: UrlOption = None,
) -> None:
    """Submit an asset for compliance review (custodial accounts: signed by the exchange)."""
    with exchange_client(url) as client:
        try:
            asset = client.submit_asset(asset_id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    console.print(f"asset {asset.id} is {asset.status}")


@asset_app.command("certificate")
def certificate(
    asset_id: Annotated[int, typer.Argument(min=1, help="The asset id.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
    url: UrlOption = None,
) -> None:
    """Fetch the registration certificate with its receipt, for `bourse verify`."""
    with exchange_client(url) as client:
        try:
            document = client.asset_certificate(asset_id)
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


@asset_app.command("search")
def search(
    q: Annotated[str | None, typer.Argument(help="Keywords.")] = None,
    theme: Annotated[str | None, typer.Option(help="Theme.")] = None,
    status: Annotated[str | None, typer.Option(help="Status (yours only beyond listed).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    url: UrlOption = None,
) -> None:
    """Search the catalog (your own drafts too when logged in)."""
    with exchange_client(url) as client:
        try:
            page = client.search_assets(q=q, theme=theme, status=status, limit=limit)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    table = Table("id", "title", "status", "classification", "licence")
    for item in page.items:
        table.add_row(str(item.id), item.title, item.status, item.classification, item.license)
    console.print(table)
    console.print(f"{len(page.items)} of {page.total}")


DEMO_CSV = (
    "date,market,fruit,price_fen\n"
    "2024-06-01,Shanghai,apple,620\n"
    "2024-06-01,Shanghai,pear,540\n"
    "2024-06-02,Hangzhou,apple,610\n"
)
DEMO_CHECKLIST = {
    "authority": {"passed": True, "note": "own collection, stall contracts on file"},
    "personal_information": {"passed": True, "note": "none held"},
    "classification": {"passed": True, "note": "general data"},
    "metadata_complete": {"passed": True},
}


def demo(supplier: Databourse, operator: Databourse, workdir: Path) -> list[str]:
    """The asset part of ``bourse demo``: the supplier registers a CSV, submits it, the
    operator approves it (certificate issued), and the supplier lists it. Returns what it did,
    one line per step. Both clients must be logged in; the supplier's organisation verified."""
    path = workdir / "fruit-prices.csv"
    path.write_text(DEMO_CSV)
    asset = supplier.create_asset(
        {
            "title": "Wholesale fruit prices",
            "description": "Daily wholesale fruit prices at two markets",
            "keywords": ["fruit", "prices", "水果"],
            "theme": "agriculture",
            "license": "CC-BY-4.0",
            "accrual_periodicity": "daily",
            "languages": ["zh", "en"],
            "classification": "general",
            "source_type": "collected",
            "authority_proof": "collected at our own stalls (demo)",
        }
    )
    revision = supplier.upload_revision(asset.id, path, content_format="csv")
    supplier.submit_asset(asset.id)
    operator.review_asset(asset.id, decision="approved", checklist=DEMO_CHECKLIST)
    supplier.list_asset(asset.id)
    certificate = supplier.asset_certificate(asset.id)
    return [
        f"asset {asset.id} registered: {asset.title} (revision {revision.number}, "
        f"sha256 {revision.sha256}, stored encrypted)",
        f"asset {asset.id} approved by the operator; certificate at journal seq "
        f"{certificate['seq']} ({certificate['anchor_status']})",
        f"asset {asset.id} listed: GET /assets shows it; "
        f"`bourse asset certificate {asset.id} -o cert.json && bourse verify cert.json`",
    ]


def register(app: typer.Typer) -> None:
    app.add_typer(asset_app, name="asset")
