"""bourse asset: the supplier's commands (register, edit, upload, submit, schema, list, delist,
delete, reviews); the catalog for everyone (search, show, certificate: no login) comes from
``catalog``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from marketplace.assets.models import ContentFormat
from marketplace.cli import catalog
from marketplace.cli.common import (
    SUPPLIERS,
    AssetArg,
    PanelOrderedGroup,
    UrlOption,
    exchange_client,
    fail,
    interactive,
    reading_client,
)
from marketplace.cli.upload import choose_format, upload_or_discard, upload_with_progress
from marketplace.client import Databourse, DatabourseClientError

console = Console()
err = Console(stderr=True)
asset_app = typer.Typer(
    help="Data assets: search and read them (anyone), register and manage them (suppliers).",
    no_args_is_help=True,
    cls=PanelOrderedGroup,
)

AUTHORITY_PROMPTS_MAX = 3
DataFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The data file.")
]
FormatOption = Annotated[
    ContentFormat | None,
    typer.Option("--format", help="Declare the format instead of detecting it from the content."),
]


def _authority_statement(given: str | None) -> str:
    """The supplier's own statement of its authority to trade the data: never invented."""
    if given is not None and given.strip():
        return given.strip()
    if not interactive():
        err.print(
            "[red]missing --authority-statement[/red]: state your authority to trade this data "
            "(e.g. 'collected at our own stalls under contract 2024-17'); it goes on the "
            "registration certificate"
        )
        raise typer.Exit(2)
    for _ in range(AUTHORITY_PROMPTS_MAX):
        answer = str(typer.prompt("Authority statement (your right to trade this data)")).strip()
        if answer:
            return answer
    err.print("no authority statement given; nothing was registered")
    raise typer.Exit(2)


def _submit_registered(client: Databourse, asset_id: int, number: int) -> None:
    """Submit the asset just registered; when the exchange refuses, say that the draft is kept
    and how to submit it, print its id and end the command."""
    try:
        client.assets.submit(asset_id)
    except DatabourseClientError as exc:
        err.print(
            f"asset {asset_id} registered as a draft with revision {number}, but not "
            f"submitted: {exc.code}: {exc.message}; run bourse asset submit {asset_id}"
        )
        print(asset_id)
        raise typer.Exit(1) from None


@asset_app.command("register", rich_help_panel=SUPPLIERS)
def register_asset(
    file: DataFile,
    *,
    title: Annotated[str, typer.Option(help="Title (dct:title).")],
    authority_statement: Annotated[
        str | None,
        typer.Option(
            "--authority-statement",
            "--authority-proof",
            help="Your statement of authority to trade this data (asked for when omitted; "
            "required when not run at a terminal).",
        ),
    ] = None,
    license_id: Annotated[
        str, typer.Option("--license", help="SPDX id, e.g. CC-BY-4.0.")
    ] = "LicenseRef-Databourse-Contract",
    classification: Annotated[
        str, typer.Option(help="general | important | core (Data Security Law grade).")
    ] = "general",
    source_type: Annotated[
        str, typer.Option(help="collected | generated | purchased | public.")
    ] = "collected",
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
    content_format: FormatOption = None,
    submit: Annotated[bool, typer.Option(help="Submit for compliance review at once.")] = False,
    url: UrlOption = None,
) -> None:
    """Register FILE as a new asset and print its id (format detected from the content)."""
    statement = _authority_statement(authority_statement)
    fmt, why = choose_format(file, content_format.value if content_format else None)
    err.print(f"format: [bold]{fmt}[/bold] ({why})")
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
        "authority_proof": statement,
    }
    with exchange_client(url) as client:
        try:
            asset = client.assets.register(metadata)
        except DatabourseClientError as exc:
            raise fail(exc) from None
        number = upload_or_discard(client, asset.id, file, fmt)
        if submit:
            _submit_registered(client, asset.id, number)
    console.print(
        f"asset [bold]{asset.id}[/bold] registered, revision {number}"
        f"{', submitted for review' if submit else ' (draft: run bourse asset submit)'}"
    )
    print(asset.id)


@asset_app.command("edit", rich_help_panel=SUPPLIERS)
def edit(
    asset_id: AssetArg,
    *,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    authority_statement: Annotated[
        str | None,
        typer.Option(
            "--authority-statement", "--authority-proof", help="New statement of authority."
        ),
    ] = None,
    license_id: Annotated[str | None, typer.Option("--license", help="SPDX id.")] = None,
    classification: Annotated[str | None, typer.Option(help="general | important | core.")] = None,
    keyword: Annotated[
        list[str] | None, typer.Option(help="A keyword (repeatable; replaces the list).")
    ] = None,
    changes: Annotated[
        Path | None,
        typer.Option(
            "--from",
            exists=True,
            dir_okay=False,
            help="A JSON object of metadata fields to change (any field PATCH /assets/{id} takes).",
        ),
    ] = None,
    url: UrlOption = None,
) -> None:
    """Change an asset's metadata (its owner). A rejected asset is then resubmitted; a
    registered one returns to draft."""
    fields: dict[str, Any] = {}
    if changes is not None:
        try:
            loaded = json.loads(changes.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            err.print(f"{changes}: not a JSON object ({exc})")
            raise typer.Exit(2) from None
        if not isinstance(loaded, dict):
            err.print(f"{changes}: not a JSON object")
            raise typer.Exit(2)
        fields.update(loaded)
    given = {
        "title": title,
        "description": description,
        "authority_proof": authority_statement,
        "license": license_id,
        "classification": classification,
        "keywords": keyword,
    }
    fields.update({name: value for name, value in given.items() if value is not None})
    if not fields:
        err.print("nothing to change: give an option or --from FILE")
        raise typer.Exit(2)
    with exchange_client(url) as client:
        try:
            asset = client.assets.update(asset_id, **fields)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    console.print(
        f"asset {asset.id} metadata changed ({', '.join(sorted(fields))}): {asset.status}"
    )


@asset_app.command("upload", rich_help_panel=SUPPLIERS)
def upload(
    asset_id: AssetArg,
    file: DataFile,
    content_format: FormatOption = None,
    url: UrlOption = None,
) -> None:
    """Upload FILE as a new revision of your asset (a retry into a draft, or new content)."""
    fmt, why = choose_format(file, content_format.value if content_format else None)
    err.print(f"format: [bold]{fmt}[/bold] ({why})")
    with exchange_client(url) as client:
        try:
            number = upload_with_progress(client, asset_id, file, fmt)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    console.print(f"asset {asset_id}: revision {number} uploaded")


@asset_app.command("submit", rich_help_panel=SUPPLIERS)
def submit_asset(asset_id: AssetArg, url: UrlOption = None) -> None:
    """Submit an asset for compliance review (custodial accounts: signed by the exchange)."""
    with exchange_client(url) as client:
        try:
            asset = client.assets.submit(asset_id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    console.print(f"asset {asset.id} is {asset.status}")


@asset_app.command("schema", rich_help_panel=SUPPLIERS)
def schema(
    asset_id: AssetArg,
    *,
    revision: Annotated[
        int | None, typer.Option(min=1, help="Revision number (default: the latest).")
    ] = None,
    correct: Annotated[
        Path | None,
        typer.Option(
            "--set", exists=True, dir_okay=False, help="Replace it with this Table Schema (JSON)."
        ),
    ] = None,
    url: UrlOption = None,
) -> None:
    """Print a revision's Table Schema; with --set FILE, correct it (drafts and rejected)."""
    with exchange_client(url) if correct is not None else reading_client(url) as client:
        try:
            number = revision or client.assets.get(asset_id).latest_revision
            if number == 0:
                err.print(f"asset {asset_id} has no revision yet: bourse asset upload first")
                raise typer.Exit(1)
            if correct is None:
                found = [r for r in client.assets.revisions(asset_id) if r.number == number]
                if not found:
                    err.print(f"asset {asset_id} has no revision {number} that you may see")
                    raise typer.Exit(1)
                print(json.dumps(found[0].table_schema, indent=2, ensure_ascii=False))
                return
            try:
                table_schema = json.loads(correct.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                err.print(f"[red]{correct} is not JSON[/red]: {exc}")
                raise typer.Exit(2) from None
            got = client.assets.correct_schema(asset_id, number, table_schema)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    console.print(
        f"asset {asset_id} revision {number}: schema corrected (hash {got.schema_hash}); "
        f"its quality is evaluated again: follow it with bourse quality status {asset_id}"
    )


@asset_app.command("list", rich_help_panel=SUPPLIERS)
def list_asset(asset_id: AssetArg, url: UrlOption = None) -> None:
    """List an approved asset in the public catalog."""
    with exchange_client(url) as client:
        try:
            asset = client.assets.list_in_catalog(asset_id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    console.print(f"asset {asset.id} is {asset.status}")


@asset_app.command("delist", rich_help_panel=SUPPLIERS)
def delist_asset(asset_id: AssetArg, url: UrlOption = None) -> None:
    """Take a listed asset out of the catalog (its owner, or an operator)."""
    with exchange_client(url) as client:
        try:
            asset = client.assets.delist(asset_id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    console.print(f"asset {asset.id} is {asset.status}")


@asset_app.command("delete", rich_help_panel=SUPPLIERS)
def delete_asset(asset_id: AssetArg, url: UrlOption = None) -> None:
    """Delete a draft that was never submitted, with its revisions (journaled)."""
    with exchange_client(url) as client:
        try:
            deleted = client.assets.delete(asset_id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    console.print(
        f"asset {deleted.asset_id} deleted with {deleted.revisions_deleted} revision(s) "
        f"(journal seq {deleted.journal_seq})"
    )


@asset_app.command("reviews", rich_help_panel=SUPPLIERS)
def reviews(asset_id: AssetArg, url: UrlOption = None) -> None:
    """The compliance reviews of your asset, with the reasons of a rejection."""
    with exchange_client(url) as client:
        try:
            rows = client.assets.reviews(asset_id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    if not rows:
        console.print(f"asset {asset_id} has no review yet")
    for row in rows:
        failed = [name for name, item in row.checklist.items() if not item.get("passed")]
        console.print(
            f"review {row.id} of revision {row.revision}: [bold]{row.decision}[/bold] "
            f"{row.created_at:%Y-%m-%d %H:%M} UTC (journal seq {row.journal_seq})"
        )
        if failed:
            console.print(f"  failed: {', '.join(failed)}")
        if row.reasons:
            console.print(f"  reasons: {row.reasons}")


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
    asset = supplier.assets.register(
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
    revision = supplier.assets.upload_revision(asset.id, path, content_format="csv")
    supplier.assets.submit(asset.id)
    operator.assets.review(asset.id, decision="approved", checklist=DEMO_CHECKLIST)
    supplier.assets.list_in_catalog(asset.id)
    certificate = supplier.assets.certificate(asset.id)
    return [
        f"asset {asset.id} registered: {asset.title} (revision {revision.number}, "
        f"sha256 {revision.sha256}, stored encrypted)",
        f"asset {asset.id} approved by the operator; certificate at journal seq "
        f"{certificate['seq']} ({certificate['anchor_status']})",
        f"asset {asset.id} listed: GET /assets shows it; "
        f"`bourse asset certificate {asset.id} -o cert.json && bourse verify cert.json`",
    ]


catalog.add_to(asset_app)


def register(app: typer.Typer) -> None:
    app.add_typer(asset_app, name="asset")
