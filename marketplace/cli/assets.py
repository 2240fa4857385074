"""bourse asset: the catalog for everyone (search, show, certificate: no login), and the
supplier's commands (register, upload, submit, schema, list, delist, delete, reviews)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

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

from marketplace import limits
from marketplace.assets.models import ContentFormat
from marketplace.cli.common import (
    EVERYONE,
    SUPPLIERS,
    PanelOrderedGroup,
    UrlOption,
    exchange_client,
    fail,
    interactive,
    reading_client,
)
from marketplace.client import Databourse, DatabourseClientError

console = Console()
err = Console(stderr=True)
asset_app = typer.Typer(
    help="Data assets: search and read them (anyone), register and manage them (suppliers).",
    no_args_is_help=True,
    cls=PanelOrderedGroup,
)

_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
AUTHORITY_PROMPTS_MAX = 3
AssetArg = Annotated[int, typer.Argument(min=1, help="The asset id.")]
DataFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The data file.")
]
FormatOption = Annotated[
    ContentFormat | None,
    typer.Option("--format", help="Declare the format instead of detecting it from the content."),
]


def choose_format(path: Path, declared: str | None) -> tuple[str, str]:
    """The format to upload ``path`` as, and why: as declared, else what the content is (the
    exchange's own checkers judge its first bytes), else what the file name says (the exchange
    checks it on upload), else opaque bytes."""
    from marketplace.assets.schema_infer import detect_format

    if declared is not None:
        return declared, "as declared with --format"
    by_name = _FORMATS.get(path.suffix.lower())
    with path.open("rb") as fh:
        head = fh.read(limits.format_sniff_bytes_max)
        size = fh.seek(0, 2)
        tail = b""
        if head[:4] == b"PAR1":
            fh.seek(max(0, size - limits.parquet_footer_bytes_max))
            tail = fh.read()
    by_content = detect_format(head, tail, whole=len(head) == size)
    if by_content != "opaque":
        if by_name is not None and by_name != by_content:
            return by_content, f"detected from the content, although the name says {by_name}"
        return by_content, "detected from the content"
    if by_name is not None:
        return by_name, "from the file name; the exchange checks the content on upload"
    return "opaque", "the content is not CSV, JSON Lines or Parquet: stored as opaque bytes"


def upload_with_progress(client: Databourse, asset_id: int, path: Path, content_format: str) -> int:
    """Upload ``path`` as a new revision with a progress bar; returns the revision number."""
    columns = (
        TextColumn("[bold]upload[/bold]"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("upload", total=path.stat().st_size)
        revision = client.assets.upload_revision(
            asset_id,
            path,
            content_format=content_format,
            progress=lambda n: progress.advance(task, n),
        )
    return revision.number


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


def _upload_or_discard(client: Databourse, asset_id: int, path: Path, content_format: str) -> int:
    """Upload into the draft just created; when that fails, delete the draft again (or, if even
    that fails, say how to retry into it) and end the command."""
    try:
        return upload_with_progress(client, asset_id, path, content_format)
    except (DatabourseClientError, OSError, KeyboardInterrupt) as exc:
        if isinstance(exc, DatabourseClientError):
            err.print(f"[red]upload failed[/red]: {exc.code}: {exc.message}")
        elif isinstance(exc, OSError):
            err.print(f"[red]upload failed[/red]: cannot read {path}: {exc.strerror}")
        else:
            err.print("[red]upload interrupted[/red]")
        try:
            client.assets.delete(asset_id)
        except DatabourseClientError as cleanup:
            err.print(
                f"the draft asset {asset_id} is kept ({cleanup.message}): upload into it with "
                f"[bold]bourse asset upload {asset_id} FILE[/bold], or delete it with "
                f"[bold]bourse asset delete {asset_id}[/bold]"
            )
        else:
            err.print(f"the draft asset {asset_id} was deleted again: nothing is left behind")
        raise typer.Exit(130 if isinstance(exc, KeyboardInterrupt) else 1) from None


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
        number = _upload_or_discard(client, asset.id, file, fmt)
        if submit:
            try:
                client.assets.submit(asset.id)
            except DatabourseClientError as exc:
                err.print(
                    f"asset {asset.id} registered as a draft with revision {number}, but not "
                    f"submitted: {exc.code}: {exc.message}; run bourse asset submit {asset.id}"
                )
                print(asset.id)
                raise typer.Exit(1) from None
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


@asset_app.command("certificate", rich_help_panel=EVERYONE)
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


@asset_app.command("search", rich_help_panel=EVERYONE)
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


@asset_app.command("show", rich_help_panel=EVERYONE)
def show(
    asset_id: AssetArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    url: UrlOption = None,
) -> None:
    """Show one asset: its metadata, status and revisions."""
    with reading_client(url) as client:
        try:
            asset = client.assets.get(asset_id)
            revisions = client.assets.revisions(asset_id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    if as_json:
        body: dict[str, Any] = asset.model_dump(mode="json")
        body["revisions"] = [r.model_dump(mode="json") for r in revisions]
        print(json.dumps(body, indent=2, ensure_ascii=False))
        return
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


def register(app: typer.Typer) -> None:
    app.add_typer(asset_app, name="asset")
