"""bourse quality check FILE [--asset ID [--order ORDER] | --against REPORT.json]

Runs the exchange's own evaluation locally (the same code, no upload). With an anchored report
(fetched for ``--asset`` or read from ``--against``) it re-checks against the report's own
declarations and as-of time, and prints the comparison: content hash match, dimensions moved. With
``--order`` the buyer signs the comparison and attaches it to the order
(``POST /orders/{id}/quality-checks``).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from marketplace.cli.common import UrlOption, exchange_client, fail, reading_client
from marketplace.cli.upload import choose_format

if TYPE_CHECKING:
    from marketplace.quality.report import Format

console = Console()
err = Console(stderr=True)
quality_app = typer.Typer(help="Data quality (GB/T 36344-2018).", no_args_is_help=True)

# Options that several commands declare alike.
RevisionOption = Annotated[int | None, typer.Option(help="Revision number (default: the latest).")]
RuleOption = Annotated[
    list[str] | None, typer.Option(help="Cross-field rule, e.g. 'end >= start'.")
]
FrequencyOption = Annotated[str | None, typer.Option(help="Update frequency: daily, P1W...")]
TimestampFieldOption = Annotated[str | None, typer.Option(help="Field holding record time.")]


def _anchored_report(asset: int | None, against: Path | None, url: str | None) -> Any:
    from marketplace.quality.report import QualityReport

    if against is not None:
        return QualityReport.model_validate_json(against.read_bytes())
    if asset is None:
        return None
    from marketplace.client import DatabourseClientError

    with exchange_client(url, authenticated=False) as client:
        try:
            report = client.quality.of_asset(asset).report
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    return QualityReport.model_validate(report)


@quality_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The data file.")],
    *,
    asset: Annotated[
        int | None, typer.Option(help="Re-check against this asset's anchored report.")
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="An anchored report saved as JSON."),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="csv | jsonl | parquet (default: detected)."),
    ] = None,
    schema: Annotated[
        Path | None, typer.Option(exists=True, help="Frictionless Table Schema (JSON).")
    ] = None,
    rule: RuleOption = None,
    frequency: FrequencyOption = None,
    timestamp_field: TimestampFieldOption = None,
    as_of: Annotated[
        datetime | None, typer.Option(help="Judge timeliness at this UTC time (default: now).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the report (JSON) here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, not a table.")] = False,
    order: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Sign the comparison and attach it to this order (its buyer; needs --asset).",
        ),
    ] = None,
    url: UrlOption = None,
) -> None:
    """Evaluate FILE's quality locally; with --asset or --against, compare it with the
    anchored report; with --order, sign the comparison and attach it to the order."""
    from datetime import UTC

    from marketplace.quality import DeclarationError, Declared, compare
    from marketplace.quality.report import is_format

    if order is not None and asset is None:
        err.print(
            "[red]--order needs --asset[/red]: the order's asset, whose anchored report it is"
        )
        raise typer.Exit(2)
    anchored = _anchored_report(asset, against, url)
    file_format = fmt or choose_format(file, None)[0]
    if anchored is not None:
        file_format = fmt or anchored.format
    if not is_format(file_format):
        err.print("[red]unknown format[/red]: pass --format csv|jsonl|parquet")
        raise typer.Exit(2)
    try:
        if anchored is not None:  # the anchored report's own declarations and moment
            declared, moment = _anchored_declarations(anchored), anchored.as_of
        else:
            declared = Declared.parse(
                schema=json.loads(schema.read_text()) if schema else None,
                rules=rule,
                update_frequency=frequency,
                timestamp_field=timestamp_field,
            )
            moment = as_of.replace(tzinfo=as_of.tzinfo or UTC) if as_of else datetime.now(UTC)
    except (DeclarationError, ValueError) as exc:
        err.print(f"[red]invalid declaration[/red]: {exc}")
        raise typer.Exit(2) from None
    weights = anchored.weights if anchored is not None else None
    report = _evaluate(file, file_format, declared, moment, weights, quiet=as_json)
    if output is not None:
        output.write_text(report.model_dump_json(indent=2))
    comparison = compare(anchored, report) if anchored is not None else None
    if as_json:
        _print_json(report, comparison)
    else:
        _print(report, comparison)
    if order is not None and comparison is not None:
        _attach(order, comparison, url, quiet=as_json)
    if comparison is not None and not comparison.content_hash_matches:
        raise typer.Exit(3)


def _attach(order: int, comparison: Any, url: str | None, *, quiet: bool) -> None:
    """Sign the comparison (the exchange signs for a custodial account) and attach it to the
    order as its buyer's quality check."""
    from marketplace.client import DatabourseClientError

    with exchange_client(url) as bourse:
        try:
            check = bourse.orders.quality_check(order, comparison.model_dump(mode="json"))
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    line = (
        f"quality check {check.id} attached to order {order}: {check.verdict}, signed by "
        f"{check.signer}; journal entry {check.journal_seq} (order.quality_checked)"
    )
    (err if quiet else console).print(line)


def _anchored_declarations(anchored: Any) -> Any:
    """The declarations an anchored report was judged under (its judged schema when the
    supplier declared none)."""
    from marketplace.quality import Declared

    d = anchored.declared
    return Declared.parse(
        schema=d.get("schema") or anchored.judged_schema,
        rules=d.get("rules"),
        update_frequency=d.get("update_frequency"),
        timestamp_field=d.get("timestamp_field"),
    )


def _evaluate(
    file: Path, file_format: Format, declared: Any, moment: datetime, weights: Any, *, quiet: bool
) -> Any:
    """The exchange's evaluation of ``file``, run here, with a progress bar unless ``quiet``."""
    from marketplace.quality import evaluate

    columns = (TextColumn("[bold]{task.description}[/bold]"), BarColumn(), TaskProgressColumn())
    with Progress(*columns, console=err, transient=True, disable=quiet) as bar:
        task = bar.add_task("quality", total=100)

        def progress(percent: int, stage: str) -> None:
            bar.update(task, completed=percent, description=stage)

        return evaluate(
            file,
            fmt=file_format,
            declared=declared,
            as_of=moment,
            weights=weights,
            progress=progress,
        )


def _print_json(report: Any, comparison: Any) -> None:
    body: dict[str, Any] = {
        "report": report.model_dump(mode="json"),
        "report_hash": report.report_hash(),
    }
    if comparison is not None:
        body["comparison"] = comparison.model_dump(mode="json")
        body["comparison_hash"] = comparison.comparison_hash()
    print(json.dumps(body, indent=2, ensure_ascii=False))


_DETAIL_CHARS_MAX = 80  # the detail column of `quality report`/`check`, before "…"


def _detail(measurements: dict[str, Any]) -> str:
    """The first few non-zero measurements, each whole: a value is never cut in two
    (``bytes_read=1`` for 10,365 bytes read would mislead); "…" says some were left out."""
    shown = [f"{k}={v}" for k, v in list(measurements.items())[:4] if v not in (None, False, 0)]
    kept: list[str] = []
    for item in shown:
        if kept and len(", ".join([*kept, item])) > _DETAIL_CHARS_MAX:
            return ", ".join(kept) + ", …"
        kept.append(item)
    return ", ".join(kept)


def _print(report: Any, comparison: Any) -> None:
    overall = "not judged" if report.overall is None else f"{report.overall:.2f}"
    console.print(
        f"[bold]quality[/bold] {overall}   rows {report.rows}   sha256 {report.content_sha256}",
    )
    table = Table("dimension", "score", "detail")
    moved = {d.name: d for d in comparison.dimensions} if comparison is not None else {}
    if comparison is not None:
        table.add_column("anchored")
    for d in report.dimensions:
        score = "—" if d.score is None else f"{d.score:.2f}"
        row = [d.name, score, d.reason or _detail(d.measurements)]
        if comparison is not None:
            delta = moved[d.name]
            was = "—" if delta.anchored is None else f"{delta.anchored:.2f}"
            row.append(f"[red]{was} (moved)[/red]" if delta.moved else was)
        table.add_row(*row)
    console.print(table)
    for issue in report.issues:
        console.print(f"  [yellow]·[/yellow] {issue}")
    if comparison is not None:
        if comparison.content_hash_matches:
            console.print("[green]content hash matches the anchored report[/green]")
        else:
            console.print(
                "[red]content hash differs[/red]: anchored "
                f"{comparison.anchored_content_sha256}, received "
                f"{comparison.received_content_sha256}"
            )
        console.print(f"dimensions moved: {', '.join(comparison.moved) or 'none'}")
        console.print(f"comparison hash {comparison.comparison_hash()}")


STATUS_POLL_S = 0.5


def _revision_of(client: Any, asset: int, revision: int | None) -> int:
    if revision is not None:
        return revision
    number: int = client.assets.get(asset).latest_revision
    if number == 0:
        err.print(f"asset {asset} has no revision yet")
        raise typer.Exit(1)
    return number


@quality_app.command("status")
def status(
    asset: Annotated[int, typer.Argument(help="The asset id.")],
    *,
    revision: RevisionOption = None,
    timeout_s: Annotated[
        float, typer.Option("--timeout", min=1, max=3600, help="Give up after this many seconds.")
    ] = 300.0,
    url: UrlOption = None,
) -> None:
    """Follow a revision's quality evaluation with a progress bar until it is done."""
    import time

    from marketplace.client import DatabourseClientError

    columns = (
        TextColumn("[bold]{task.description}[/bold]"),
        BarColumn(),
        TaskProgressColumn(),
    )
    deadline = time.monotonic() + timeout_s
    with reading_client(url) as client:
        try:
            number = _revision_of(client, asset, revision)
            with Progress(*columns, console=err, transient=True) as bar:
                task = bar.add_task("queued", total=100)
                while True:
                    got = client.quality.of_revision(asset, number)
                    bar.update(task, completed=got.progress_percent, description=got.stage)
                    if got.status in ("done", "failed") or time.monotonic() > deadline:
                        break
                    time.sleep(STATUS_POLL_S)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    if got.status == "failed":
        err.print(f"[red]evaluation {got.id} failed[/red]: {got.error}")
        raise typer.Exit(1)
    if got.status != "done":
        err.print(f"evaluation {got.id} still {got.status} at {got.progress_percent}%")
        raise typer.Exit(1)
    overall = (got.report or {}).get("overall")
    console.print(
        f"evaluation {got.id} of asset {asset} revision {number}: done, overall "
        f"{'not judged' if overall is None else format(overall, '.2f')}; report hash "
        f"{got.report_hash} (journal seq {got.journal_seq})"
    )


@quality_app.command("report")
def report_command(
    asset: Annotated[int, typer.Argument(help="The asset id.")],
    *,
    html: Annotated[
        Path | None, typer.Option(help="Also save the HTML report (radar chart) here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, not a table.")] = False,
    url: UrlOption = None,
) -> None:
    """Show the asset's quality report (what buyers see; samples too for the owner)."""
    from marketplace.client import DatabourseClientError
    from marketplace.quality.report import QualityReport

    with reading_client(url) as client:
        try:
            got = client.quality.of_asset(asset)
            page = client.quality.report_html(asset) if html is not None else None
        except DatabourseClientError as exc:
            raise fail(exc) from None
    if html is not None and page is not None:
        html.write_text(page, encoding="utf-8")
    if as_json:
        print(got.model_dump_json(indent=2))
        return
    _print(QualityReport.model_validate(got.report), None)
    console.print(f"report hash {got.report_hash} (journal seq {got.journal_seq})")
    if html is not None:
        console.print(f"HTML report saved to {html}")


@quality_app.command("rerun")
def rerun(
    asset: Annotated[int, typer.Argument(help="The asset id.")],
    *,
    revision: RevisionOption = None,
    schema: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="Judge against this Table Schema (JSON)."),
    ] = None,
    rule: RuleOption = None,
    frequency: FrequencyOption = None,
    timestamp_field: TimestampFieldOption = None,
    url: UrlOption = None,
) -> None:
    """Evaluate a revision's quality again on the exchange (owner or operator), e.g. after a
    schema correction or with declared rules; follow it with `bourse quality status`."""
    from marketplace.client import DatabourseClientError

    declarations: dict[str, Any] = {"rules": rule or []}
    if schema is not None:
        try:
            declarations["table_schema"] = json.loads(schema.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            err.print(f"[red]{schema} is not JSON[/red]: {exc}")
            raise typer.Exit(2) from None
    if frequency is not None:
        declarations["update_frequency"] = frequency
    if timestamp_field is not None:
        declarations["timestamp_field"] = timestamp_field
    with exchange_client(url) as client:
        try:
            number = _revision_of(client, asset, revision)
            got = client.quality.evaluate(asset, number, **declarations)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    console.print(
        f"evaluation {got.id} of asset {asset} revision {number} is {got.status}; follow it with "
        f"bourse quality status {asset} --revision {number}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(quality_app, name="quality")
