"""The quality evaluation: one streaming pass over the bytes, then one lazy polars query.

``evaluate`` never loads the file whole. The byte pass (``scan``) reads fixed-size chunks
(through the delivery path when the caller gives one) to hash the content, find encoding and
newline problems, and prove the content can be read back. The table pass (``query``,
``aggregates``) is a single lazy query collected with polars' streaming engine; CSV columns are
read as text and converted to their declared types inside the query, so a value that does not
conform is counted, not fatal. The scores come from what both passes measured (``scoring``).

Bad input never raises: what could not be judged is reported with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import polars as pl

from ledger.errors import first_line
from marketplace import limits
from marketplace.quality import profile as profiling
from marketplace.quality.aggregates import collect
from marketplace.quality.declared import Declared
from marketplace.quality.query import Opening, Table, open_as_text, open_parsed
from marketplace.quality.reading import (
    JSON_ROWS,
    Source,
    Unjudgeable,
    first_bytes,
    in_memory,
    read_chunks,
    size_of,
)
from marketplace.quality.report import (
    DEFAULT_WEIGHTS,
    DimensionResult,
    Format,
    QualityReport,
    overall_score,
    validate_weights,
)
from marketplace.quality.scan import ByteFacts, Progress, scan_beside, scan_options, sniff
from marketplace.quality.scoring import dimensions, structure_notes

# Share of the progress bar done when the table query has run.
_TABLE_PERCENT = 90


# Errors that mean a query built wrong (a bug to raise), not a file that breaks its format.
_OUR_BUGS = (pl.exceptions.DuplicateError, pl.exceptions.ColumnNotFoundError)


@dataclass
class Attempt:
    """One reading of the table: the table and its aggregates, or why it could not be read."""

    table: Table | None
    stats: dict[str, Any]
    error: str | None


def evaluate(
    path: Source,
    *,
    fmt: Format,
    declared: Declared | None = None,
    as_of: datetime | None = None,
    chunks: Iterable[bytes] | None = None,
    expected_sha256: str | None = None,
    weights: dict[str, int] | None = None,
    progress: Progress | None = None,
) -> QualityReport:
    """Evaluate one tabular file.

    ``chunks`` is the delivery path (e.g. the decrypting blob reader); without it the file is
    read directly. ``as_of`` is the moment timeliness is judged at (now by default; a re-check
    passes the anchored report's). ``expected_sha256`` is the revision's content hash.

    The byte pass runs in a thread beside the table query (polars and hashlib release the GIL);
    the table query takes the encoding and line ends the file's first bytes show, and runs again
    with the right options in the rare case the byte pass finds otherwise.
    """
    declared = declared or Declared()
    as_of = as_of or datetime.now(UTC)
    assert as_of.tzinfo is not None, "as_of must be timezone-aware"
    weights = validate_weights(weights or DEFAULT_WEIGHTS)
    size = size_of(path)
    prefix = _csv_prefix(path, fmt, size)
    guess = Opening(path, fmt, declared, sniff(prefix), size, prefix)
    facts, guessed = scan_beside(
        chunks if chunks is not None else read_chunks(path),
        lambda: read_table(guess) if size else None,
        text=fmt != "parquet",
        total_bytes=size,
        progress=progress,
    )
    if progress is not None:
        progress(_TABLE_PERCENT, "profiling")
    attempt = _settled(guessed, guess, replace(guess, facts=facts))
    report = _report(
        attempt,
        declared=declared,
        facts=facts,
        as_of=as_of,
        expected_sha256=expected_sha256,
        weights=weights,
        size=size,
        fmt=fmt,
    )
    if progress is not None:
        progress(100, "done")
    return report


def _csv_prefix(path: Source, fmt: Format, size: int) -> bytes:
    """A CSV's first bytes: its head, and the first guess at its encoding and line ends."""
    try:
        return first_bytes(path, limits.quality_head_bytes_max) if fmt == "csv" and size else b""
    except OSError:  # the byte pass meets it again and reports it
        return b""


def read_table(opening: Opening) -> Attempt:
    """Open and measure the table; a file that breaks the format is an error message. A CSV is
    tried parsed, then as text, then with the extra fields of ragged rows dropped."""
    ragged = replace(opening, ragged=True)
    tries: list[tuple[Callable[[Opening], Table | None], Opening]] = (
        [(open_parsed, opening), (open_as_text, opening), (open_as_text, ragged)]
        if opening.fmt == "csv"
        else [(open_as_text, opening)]
    )
    try:
        for opener, tried in tries:
            try:
                table = opener(tried)
                if table is None:
                    continue  # no column to parse: the text read is the only one
                return Attempt(table, collect(table, opening.declared), None)
            except pl.exceptions.PolarsError as exc:
                if isinstance(exc, _OUR_BUGS):
                    raise
                if opener is open_parsed or (not tried.ragged and "more fields" in str(exc)):
                    continue
                raise
        raise AssertionError("the last attempt returns or raises")  # pragma: no cover
    except Unjudgeable as exc:
        return Attempt(None, {}, f"the table cannot be evaluated: {exc}")
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        if isinstance(exc, _OUR_BUGS):
            raise  # a query we built wrong is a bug, not bad input
        error = f"the content could not be parsed as {opening.fmt}: {first_line(exc)}"
        return Attempt(None, {}, error)


def _settled(guessed: Attempt | None, guess: Opening, opening: Opening) -> Attempt:
    """The attempt the report rests on, once the byte pass has run: none if the content could
    not be read or is empty; the table read again if the first guess at its encoding or line
    ends was wrong (or there was none)."""
    facts = opening.facts
    if facts.read_error is not None:
        return Attempt(None, {}, f"the content could not be read: {facts.read_error}")
    if facts.size_bytes == 0:
        return Attempt(None, {}, "the file is empty")
    wrong_guess = opening.fmt == "csv" and scan_options(facts) != scan_options(guess.facts)
    if guessed is None or wrong_guess:
        return read_table(opening)
    return guessed


def _report(
    attempt: Attempt,
    *,
    declared: Declared,
    facts: ByteFacts,
    as_of: datetime,
    expected_sha256: str | None,
    weights: dict[str, int],
    size: int,
    fmt: Format,
) -> QualityReport:
    table, stats = attempt.table, attempt.stats
    dims = dimensions(
        fmt,
        table.shape if table is not None else None,
        stats=stats,
        declared=declared,
        facts=facts,
        as_of=as_of,
        expected_sha256=expected_sha256,
        parse_error=attempt.error,
    )
    return QualityReport(
        format=fmt,
        content_sha256=facts.sha256,
        size_bytes=facts.size_bytes,
        as_of=as_of.astimezone(UTC),
        rows=stats.get("rows"),
        columns=len(table.raw_schema) if table is not None else None,
        declared=declared.to_json(),
        judged_schema=table.judged.to_frictionless() if table is not None else None,
        weights=weights,
        dimensions=dims,
        overall=overall_score(dims, weights),
        profile=profiling.build(table, stats) if table is not None else [],
        issues=_issues(attempt, facts, dims, size=size, fmt=fmt),
    )


def _issues(
    attempt: Attempt, facts: ByteFacts, dims: list[DimensionResult], *, size: int, fmt: Format
) -> list[str]:
    """What the report says was not judged, or judged only in part, and why."""
    issues = structure_notes(fmt, facts)
    if fmt == "jsonl" and not in_memory(size):
        issues.append(
            f"the JSON Lines schema is read from the first {JSON_ROWS} lines; "
            "keys first seen later are not judged"
        )
    table = attempt.table
    if table is not None and len(table.raw_schema) > table.profiled_columns:
        issues.append(
            f"only the first {table.profiled_columns} of {len(table.raw_schema)} columns are "
            "profiled; every column is judged"
        )
    if table is not None and table.ragged:
        issues.append("some rows have more fields than the header; the extras were dropped")
    if attempt.error is not None:
        issues.append(attempt.error)
    issues.extend(f"{d.name} not judged: {d.reason}" for d in dims if not d.judged)
    return issues
