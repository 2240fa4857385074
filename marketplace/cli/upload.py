"""Uploading a data file from the command line: which format to declare, and the upload with a
progress bar (used by ``bourse asset register``, ``asset upload`` and ``quality check``)."""

from __future__ import annotations

from pathlib import Path

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

from marketplace import limits
from marketplace.client import Databourse, DatabourseClientError

err = Console(stderr=True)

_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def choose_format(path: Path, declared: str | None) -> tuple[str, str]:
    """The format to upload ``path`` as, and why: as declared, else what the content is (the
    exchange's own checkers judge its first bytes), else what the file name says (the exchange
    checks it on upload), else opaque bytes."""
    from marketplace.assets.format_detection import detect_format

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


def upload_or_discard(client: Databourse, asset_id: int, path: Path, content_format: str) -> int:
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
