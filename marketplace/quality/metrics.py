"""The quality evaluation: one streaming pass over the bytes, then one lazy polars query.

``evaluate`` never loads the file whole. The byte pass reads fixed-size chunks (through the
delivery path when the caller gives one) to hash the content, find encoding and newline
problems, and prove the content can be read back. The table pass is a single lazy query
collected with polars' streaming engine; CSV columns are read as text and converted to their
declared types inside the query, so a value that does not conform is counted, not fatal.

Bad input never raises: what could not be judged is reported with the reason.
"""

from __future__ import annotations

import codecs
import glob
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl

from marketplace import limits
from marketplace.errors import first_line
from marketplace.quality import profile as profiling
from marketplace.quality.declared import Declared, order_kind, update_period
from marketplace.quality.inference import BLANK, infer_text_schema
from marketplace.quality.report import (
    DEFAULT_WEIGHTS,
    DimensionResult,
    QualityReport,
    overall_score,
    ratio_score,
    validate_weights,
)
from marketplace.quality.table_schema import (
    MISSING_VALUES_DEFAULT,
    NUMERIC_DTYPES,
    FieldSpec,
    TableSchema,
    format_violation,
    infer_schema,
    literal_for,
    typed_expr,
)

Format = Literal["csv", "jsonl", "parquet"]
Progress = Callable[[int, str], None]  # (percent done 0..100, stage)

# Share of the progress bar each stage fills.
_BYTES_PERCENT = 30
_TABLE_PERCENT = 90
# A structural defect (ragged rows, invalid UTF-8, lone CR line ends) caps normativity here.
STRUCTURAL_DEFECT_CAP = 50.0
# Timeliness falls linearly from 100 at one update period of age to 0 at this many more.
STALE_PERIODS_TO_ZERO = 3


@dataclass
class ByteFacts:
    """What one read of the raw bytes shows."""

    sha256: str = ""
    size_bytes: int = 0
    read_error: str | None = None
    bom: bool = False
    invalid_utf8_offset: int | None = None
    crlf: int = 0
    cr_only: int = 0
    lf_only: bool = False  # some line ends are a lone LF (not counted: it costs a full scan)

    @property
    def line_ends(self) -> str:
        styles = [
            s
            for s, seen in (("LF", self.lf_only), ("CRLF", self.crlf), ("CR", self.cr_only))
            if seen
        ]
        return styles[0] if len(styles) == 1 else "mixed" if styles else "none"


Source = Path | bytes  # a file, or content already in memory (small decrypted revisions)


def read_chunks(
    source: Source, chunk_bytes: int = limits.quality_read_chunk_bytes
) -> Iterator[bytes]:
    if isinstance(source, bytes):
        for start in range(0, len(source), chunk_bytes):
            yield source[start : start + chunk_bytes]
        return
    with source.open("rb") as fh:
        while chunk := fh.read(chunk_bytes):
            yield chunk


def scan_bytes(
    chunks: Iterable[bytes], *, text: bool, total_bytes: int | None, progress: Progress | None
) -> ByteFacts:
    """Hash and inspect the bytes chunk by chunk; a failing reader is recorded, not raised."""
    facts = ByteFacts()
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    cr = crlf = 0
    prev_cr = False
    first = True
    try:
        for chunk in chunks:
            digest.update(chunk)
            if text:
                if first and chunk.startswith(codecs.BOM_UTF8):
                    facts.bom = True
                first = False
                # Most files have no CR: finding none (memchr) is much faster than counting.
                if prev_cr or b"\r" in chunk:
                    pairs = chunk.count(b"\r\n") + (prev_cr and chunk[:1] == b"\n")
                    cr += chunk.count(b"\r")
                    crlf += pairs
                    facts.lf_only = facts.lf_only or chunk.count(b"\n") > pairs
                elif not facts.lf_only:
                    facts.lf_only = b"\n" in chunk
                prev_cr = chunk[-1:] == b"\r"
                # isascii() is a fast word-at-a-time scan; only non-ASCII chunks need decoding,
                # and the one after a character cut at a chunk's end.
                if facts.invalid_utf8_offset is None:
                    pending = len(decoder.getstate()[0])  # bytes of that cut character
                    if pending or not chunk.isascii():
                        try:
                            decoder.decode(chunk)
                        except UnicodeDecodeError as exc:  # exc.start counts the pending bytes
                            facts.invalid_utf8_offset = facts.size_bytes - pending + exc.start
            facts.size_bytes += len(chunk)
            if progress is not None and total_bytes:
                done = min(facts.size_bytes, total_bytes) / total_bytes
                progress(int(_BYTES_PERCENT * done), "reading")
        if text and facts.invalid_utf8_offset is None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:  # the file ends inside a character
                facts.invalid_utf8_offset = facts.size_bytes - len(decoder.getstate()[0])
    except (OSError, ValueError) as exc:  # the delivery path failed part-way
        facts.read_error = f"{type(exc).__name__}: {exc}"
    facts.sha256 = digest.hexdigest()
    facts.crlf, facts.cr_only = crlf, cr - crlf
    return facts


@dataclass
class _Table:
    """The lazy frame and what is known about its columns before the query runs."""

    lf: pl.LazyFrame  # the scan, with the typed columns and the row hash added
    raw_schema: dict[str, pl.DataType]
    judged: TableSchema
    schema_source: str
    approximate: bool  # distinct counts by polars' streaming sketch
    engine: Literal["in-memory", "streaming"]
    profiled_columns: int  # the first this many columns get a profile
    head: pl.DataFrame  # the first rows: sample values, low-cardinality candidates
    row_hash: str  # the column holding each row's 64-bit hash
    stride: int  # the numeric sample keeps the rows whose hash is a multiple of this
    sample: profiling.NumericSample  # filled as the query runs
    typed_cols: dict[str, pl.Expr] = field(default_factory=dict)
    hash_cols: dict[str, pl.Expr] = field(default_factory=dict)  # each value's 64-bit hash
    parsed: set[str] = field(default_factory=set)  # read as their type: every value conforms
    candidates: dict[int, list[str]] = field(default_factory=dict)  # low-cardinality text values
    ragged: bool = False


@dataclass
class _Attempt:
    table: _Table | None
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
    size = _size_of(path)
    try:
        prefix = _prefix(path, limits.quality_head_bytes_max) if fmt == "csv" and size else b""
    except OSError:  # the byte pass meets it again and reports it
        prefix = b""
    first_guess = _sniff(prefix)
    with ThreadPoolExecutor(max_workers=1) as pool:
        facts_future = pool.submit(
            scan_bytes,
            chunks if chunks is not None else read_chunks(path),
            text=fmt != "parquet",
            total_bytes=size,
            progress=progress,
        )
        attempt = _attempt(path, fmt, declared, first_guess, size, prefix=prefix) if size else None
        facts = facts_future.result()
    if progress is not None:
        progress(_TABLE_PERCENT, "profiling")
    issues = _structure_notes(fmt, facts)
    if fmt == "jsonl" and not _in_memory(size):
        issues.append(
            f"the JSON Lines schema is read from the first {_JSON_ROWS} lines; "
            "keys first seen later are not judged"
        )
    if facts.read_error is not None:
        attempt = _Attempt(None, {}, f"the content could not be read: {facts.read_error}")
    elif facts.size_bytes == 0:
        attempt = _Attempt(None, {}, "the file is empty")
    elif attempt is None or (fmt == "csv" and _scan_options(facts) != _scan_options(first_guess)):
        attempt = _attempt(path, fmt, declared, facts, size, prefix=prefix)
    table, stats = attempt.table, attempt.stats
    if table is not None and len(table.raw_schema) > table.profiled_columns:
        issues.append(
            f"only the first {table.profiled_columns} of {len(table.raw_schema)} columns are "
            "profiled; every column is judged"
        )
    if table is not None and table.ragged:
        issues.append("some rows have more fields than the header; the extras were dropped")
    if attempt.error is not None:
        issues.append(attempt.error)
    dims = _dimensions(
        fmt,
        table,
        stats=stats,
        declared=declared,
        facts=facts,
        as_of=as_of,
        expected_sha256=expected_sha256,
        parse_error=attempt.error,
    )
    issues.extend(f"{d.name} not judged: {d.reason}" for d in dims if not d.judged)
    profile = profiling.build(table, stats) if table is not None else []
    report = QualityReport(
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
        profile=profile,
        issues=issues,
    )
    if progress is not None:
        progress(100, "done")
    return report


def _size_of(source: Source) -> int:
    if isinstance(source, bytes):
        return len(source)
    return source.stat().st_size if source.is_file() else 0


def _structure_notes(fmt: Format, facts: ByteFacts) -> list[str]:
    notes: list[str] = []
    if fmt == "parquet":
        return notes
    if facts.invalid_utf8_offset is not None:
        notes.append(
            f"not valid UTF-8 (first bad byte at offset {facts.invalid_utf8_offset})"
            + ("; read with replacement characters" if fmt == "csv" else "")
        )
    if fmt == "jsonl" and facts.bom:
        notes.append("starts with a byte order mark, which JSON does not allow (RFC 8259)")
    if facts.cr_only and (facts.lf_only or facts.crlf):
        notes.append(f"{facts.cr_only} line ends are a lone CR and do not separate rows")
    return notes


def _structural_defects(fmt: Format, facts: ByteFacts, table: _Table) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if table.ragged:
        out["ragged_rows"] = True
    if fmt != "parquet":
        if facts.invalid_utf8_offset is not None:
            out["invalid_utf8_first_offset"] = facts.invalid_utf8_offset
        if facts.cr_only and (facts.lf_only or facts.crlf):
            out["lone_cr_line_ends"] = facts.cr_only
    return out


_OUR_BUGS = (pl.exceptions.DuplicateError, pl.exceptions.ColumnNotFoundError)


class Unjudgeable(ValueError):
    """A table the evaluation cannot judge whatever its content: too many columns, or column
    names the query engine cannot take literally."""


# --- opening the table ------------------------------------------------------------------------


def _scan_options(facts: ByteFacts) -> dict[str, Any]:
    return {
        "encoding": "utf8-lossy" if facts.invalid_utf8_offset is not None else "utf8",
        "eol_char": "\r" if facts.cr_only and not facts.lf_only and not facts.crlf else "\n",
    }


def _scan(
    path: Source,
    fmt: Format,
    facts: ByteFacts,
    schema: TableSchema | None,
    *,
    size: int,
    ragged: bool,
    parse: dict[str, pl.DataType] | None = None,
) -> pl.LazyFrame:
    # A file name is a name, not a pattern: "sales [2024].csv" must not match "sales 2.csv".
    if fmt == "csv":
        missing = list(schema.missing_values) if schema else [""]
        default = missing == [""]
        scan = pl.scan_csv(
            path,
            glob=False,
            infer_schema=False,
            schema_overrides=parse or None,
            # The reader takes an empty field as null already; told so, it would also compare
            # every field with the list, which costs ~15% of the read.
            null_values=None if default else missing,
            raise_if_empty=False,
            truncate_ragged_lines=ragged,
            **_scan_options(facts),
        )
        if default:  # a quoted empty field ("") is read as text; it is missing too
            text = pl.col(pl.String)
            scan = scan.with_columns(pl.when(text != "").then(text))
        return scan
    if fmt == "jsonl":  # scan_ndjson has no glob=False: escape the name instead
        source = path if isinstance(path, bytes) else glob.escape(str(path))
        # A key or a type can first show up on any line: files read in memory are inferred whole.
        return pl.scan_ndjson(source, infer_schema_length=None if _in_memory(size) else _JSON_ROWS)
    if isinstance(path, bytes):
        return pl.scan_parquet(io.BytesIO(path))
    return pl.scan_parquet(path, glob=False)


_JSON_ROWS = limits.quality_infer_rows  # lines a streamed JSON Lines file's schema is read from


def _in_memory(size: int) -> bool:
    """Whether a file of ``size`` bytes is small enough for polars' in-memory engine."""
    return size <= limits.quality_in_memory_bytes_max


def _attempt(
    path: Source, fmt: Format, declared: Declared, facts: ByteFacts, size: int, *, prefix: bytes
) -> _Attempt:
    """Open and measure the table; a file that breaks the format is an error message.

    A CSV is read first with its numeric columns parsed by the reader (fast); if any value
    there does not parse, it is read again with every column as text and converted inside the
    query, so that each non-conforming value is counted. Rows with extra fields make polars
    refuse the file unless told to truncate them: that is the last attempt.
    """
    tries = [(True, False), (False, False), (False, True)] if fmt == "csv" else [(False, False)]
    try:
        for parse, ragged in tries:
            try:
                table = _open(
                    path, fmt, declared, facts, size, prefix=prefix, parse=parse, ragged=ragged
                )
                if table is None:
                    continue  # no column to parse: the text read is the only one
                return _Attempt(table, _collect(table, declared), None)
            except pl.exceptions.PolarsError as exc:
                if isinstance(exc, _OUR_BUGS):
                    raise
                if parse or (not ragged and "more fields" in str(exc)):
                    continue
                raise
        raise AssertionError("the last attempt returns or raises")  # pragma: no cover
    except Unjudgeable as exc:
        return _Attempt(None, {}, f"the table cannot be evaluated: {exc}")
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        if isinstance(exc, _OUR_BUGS):
            raise  # a query we built wrong is a bug, not bad input
        return _Attempt(None, {}, f"the content could not be parsed as {fmt}: {first_line(exc)}")


def _tag(names: Iterable[str]) -> str:
    """A prefix no column name starts with, for the columns the query adds."""
    tag = "§"
    while any(n.startswith(tag) for n in names):
        tag += "§"
    return tag


def _open(
    path: Source,
    fmt: Format,
    declared: Declared,
    facts: ByteFacts,
    size: int,
    *,
    prefix: bytes,
    parse: bool,
    ragged: bool,
) -> _Table | None:
    scan = _scan(path, fmt, facts, declared.schema, size=size, ragged=ragged)
    raw_schema = _columns_of(scan)
    # The first rows as read (CSV: text): for inference, top-value candidates and samples.
    head = _head(
        prefix,
        fmt,
        scan,
        list(raw_schema),
        facts=facts,
        schema=declared.schema,
        size=size,
        ragged=ragged,
    )
    if declared.schema is not None:
        judged, source = declared.schema, "inferred" if declared.schema_inferred else "declared"
    elif fmt == "csv":
        judged, source = infer_text_schema(head), "inferred"
        if judged.missing_values != MISSING_VALUES_DEFAULT:  # markers seen: read them as missing
            scan = _scan(path, fmt, facts, judged, size=size, ragged=ragged)
            head = _head(
                prefix,
                fmt,
                scan,
                list(raw_schema),
                facts=facts,
                schema=judged,
                size=size,
                ragged=ragged,
            )
    else:
        judged, source = infer_schema(raw_schema), "inferred"
    specs = {name: judged.field(name) or FieldSpec(name=name) for name in raw_schema}
    text_numbers = [
        n
        for n, s in specs.items()
        if s.type in NUMERIC_DTYPES
        and raw_schema[n] == pl.String
        and format_violation(s, pl.col(n)) is None
    ]
    if parse:
        if not text_numbers:
            return None
        dtypes = {n: NUMERIC_DTYPES[specs[n].type] for n in text_numbers}
        scan = _scan(path, fmt, facts, judged, size=size, ragged=ragged, parse=dtypes)
        raw_schema = dict(scan.collect_schema())
    elif text_numbers:  # as the reader does: a blank numeric cell is empty, not malformed
        scan = scan.with_columns(
            pl.when(pl.col(n).str.contains(BLANK)).then(None).otherwise(pl.col(n)).alias(n)
            for n in text_numbers
        )
    tag = _tag(raw_schema)
    derived: list[pl.Expr] = []
    typed_cols: dict[str, pl.Expr] = {}
    hashes: list[pl.Expr] = []
    for i, name in enumerate(raw_schema):
        raw = pl.col(name)
        typed = typed_expr(specs[name], raw, raw_schema[name])
        if typed.meta.eq(raw):
            typed_cols[name] = raw
        else:  # computed once per batch, then shared by every aggregate that needs it
            derived.append(typed.alias(f"{tag}{i}"))
            typed_cols[name] = pl.col(f"{tag}{i}")
        # Numbers compare as numbers whichever way they were read ("01" is "1", "-0" is "0");
        # a value that does not conform compares as its text.
        number = typed_cols[name]
        value = (
            pl.coalesce(pl.when(number == 0).then(0).otherwise(number).cast(pl.String), raw)
            if name in text_numbers and not parse
            else raw
        )
        # Each field under its own seed, so that moving a value to another field changes the
        # row's hash. Distinct counts, keys and top values compare these hashes too.
        hashes.append(value.hash(seed=i).alias(f"{tag}h{i}"))
    hash_cols = {name: pl.col(f"{tag}h{i}") for i, name in enumerate(raw_schema)}
    row_hash = f"{tag}h"
    lf = (
        scan.with_columns(derived)
        .with_columns(hashes)
        .with_columns(_row_hash(list(hash_cols.values())).alias(row_hash))
    )
    in_memory = _in_memory(size)
    profiled = (
        limits.quality_profiled_columns_max
        if in_memory
        else limits.quality_profiled_columns_streaming_max
    )
    numeric = {
        i: typed_cols[n]
        for i, n in enumerate(list(raw_schema)[:profiled])
        if specs[n].type in profiling.NUMERIC
    }
    # The in-memory engine holds every column anyway: its sample is the whole column.
    rows_max = 0 if in_memory else _rows_bound(path, fmt, size, len(raw_schema))
    stride = profiling.sample_stride(rows_max, len(numeric))
    in_sample = None
    if stride > 1:  # rows chosen by their hash: the same whatever order batches come in
        in_sample = f"{tag}s"
        lf = lf.with_columns((pl.col(row_hash) % stride == 0).alias(in_sample))
    sample = profiling.NumericSample(numeric, in_sample)
    if numeric:
        lf = lf.map_batches(sample, streamable=True)
    return _Table(
        lf=lf,
        raw_schema=raw_schema,
        judged=judged,
        schema_source=source,
        approximate=size > limits.quality_exact_bytes_max,
        # Small files go through polars' in-memory engine: its planning stays fast for
        # thousands of columns, where the streaming engine's does not. Larger files stream, and
        # fewer columns get a profile so that planning stays bounded.
        engine="in-memory" if in_memory else "streaming",
        profiled_columns=profiled,
        head=head,
        row_hash=row_hash,
        stride=stride,
        sample=sample,
        typed_cols=typed_cols,
        hash_cols=hash_cols,
        parsed=set(text_numbers) if parse else set(),
        ragged=ragged,
    )


def _columns_of(scan: pl.LazyFrame) -> dict[str, pl.DataType]:
    try:
        raw_schema = dict(scan.collect_schema())
    except pl.exceptions.DuplicateError as exc:  # e.g. a header "a,a_duplicated_0,a"
        raise Unjudgeable(f"duplicate column names ({first_line(exc)})") from exc
    if len(raw_schema) > limits.quality_columns_max:
        raise Unjudgeable(
            f"{len(raw_schema)} columns; at most {limits.quality_columns_max} are evaluated"
        )
    # polars reads a column name "^...$" as a pattern wherever the query names the column.
    if patterns := [n for n in raw_schema if n.startswith("^") and n.endswith("$")]:
        raise Unjudgeable(f"column names the query engine reads as patterns: {patterns[:5]}")
    return raw_schema


def _head(
    prefix: bytes,
    fmt: Format,
    scan: pl.LazyFrame,
    columns: list[str],
    *,
    facts: ByteFacts,
    schema: TableSchema | None,
    size: int,
    ragged: bool,
) -> pl.DataFrame:
    """The first ``quality_infer_rows`` rows of ``scan``.

    polars' CSV scan reads the whole file to give its first rows, so a CSV's head is parsed from
    its first ``quality_head_bytes_max`` bytes (``prefix``), cut after the last line end. The cut
    may fall inside a quoted field that spans lines, so the last row of a cut prefix is never
    used. A prefix that holds too few rows, or does not parse, leaves the head to the scan.
    """
    rows = limits.quality_infer_rows
    if fmt == "csv":
        whole = len(prefix) == size
        if not whole:
            prefix = prefix[: prefix.rfind(_scan_options(facts)["eol_char"].encode()) + 1]
        try:
            cut = _scan(prefix, fmt, facts, schema, size=len(prefix), ragged=ragged)
            head = cut.head(rows + 1).collect()
        except pl.exceptions.PolarsError:
            head = None
        if head is not None and head.columns == columns and (whole or head.height > rows):
            return head.head(rows)
    return scan.head(rows).collect()


def _sniff(prefix: bytes) -> ByteFacts:
    """What the first bytes say about reading the table (line ends, encoding), for the first
    attempt; a CR-only file read with LF line ends would be one header of countless columns."""
    facts = ByteFacts(cr_only=int(b"\r" in prefix and b"\n" not in prefix))
    if not prefix.isascii():
        try:
            prefix.decode()
        except UnicodeDecodeError as exc:
            if exc.end < len(prefix):  # not merely a character cut at the end of the prefix
                facts.invalid_utf8_offset = exc.start
    return facts


def _prefix(path: Source, size_bytes: int) -> bytes:
    if isinstance(path, bytes):
        return path[:size_bytes]
    with path.open("rb") as fh:
        return fh.read(size_bytes)


def _row_hash(hashes: list[pl.Expr]) -> pl.Expr:
    """A 64-bit hash of each row: the sum modulo 2^64 (polars' unsigned arithmetic wraps) of its
    fields' hashes. Cheaper than hashing a struct, which encodes every row first."""
    if not hashes:
        return pl.lit(0, pl.UInt64)
    return pl.sum_horizontal(hashes)


def _rows_bound(path: Source, fmt: Format, size: int, columns: int) -> int:
    """The most rows the file can hold: a CSV row takes at least one byte per column (its
    delimiters and line end), a JSON line at least three (``{}`` and the line end); Parquet
    says in its footer."""
    if fmt == "csv":
        return size // max(1, columns)
    if fmt == "jsonl":
        return size // 3
    scan = _scan(path, fmt, ByteFacts(), None, size=size, ragged=False)
    count: int = scan.select(pl.len()).collect().item()
    return count


# --- the table query --------------------------------------------------------------------------


def _collect(table: _Table, declared: Declared) -> dict[str, Any]:
    out = table.lf.select(plan(table, declared)).collect(engine=table.engine)
    assert out.height == 1
    stats = out.row(0, named=True)
    profiling.quantiles_and_outliers(table.sample.columns(), stats)
    stats["sample_stride"] = table.stride
    for i, name in enumerate(table.raw_schema):
        if name in table.parsed:
            stats.setdefault(f"{i}:bad", 0)  # the reader parsed every value as its type
    return stats


def plan(table: _Table, declared: Declared) -> list[pl.Expr]:
    """Every aggregate the dimensions and the profile need, as one select."""
    schema = table.judged
    raw_schema = table.raw_schema
    exprs: list[pl.Expr] = [pl.len().alias("rows")]
    columns = list(raw_schema)
    profiled = set(columns[: table.profiled_columns])
    for i, name in enumerate(columns):
        spec = schema.field(name) or FieldSpec(name=name)
        raw = pl.col(name)
        typed = table.typed_cols[name]
        exprs.append(raw.null_count().alias(f"{i}:nulls"))
        present = raw.is_not_null()
        checks_type = spec.type not in ("any", "string") and name not in table.parsed
        bad = present & typed.is_null() if checks_type else None
        fmt_bad = format_violation(spec, raw)
        if fmt_bad is not None:
            fmt_bad = present & fmt_bad
            bad = fmt_bad if bad is None else (bad | fmt_bad)
        if bad is not None:
            exprs.append(bad.sum().alias(f"{i}:bad"))
        if spec.has_range:
            out = pl.lit(False)
            if spec.minimum is not None:
                out = out | (typed < literal_for(spec, spec.minimum))
            if spec.maximum is not None:
                out = out | (typed > literal_for(spec, spec.maximum))
            exprs.append(typed.is_not_null().sum().alias(f"{i}:range_checked"))
            exprs.append(out.sum().alias(f"{i}:out_of_range"))
        if spec.unique and name not in schema.primary_key:
            exprs.append(
                profiling.distinct(table.hash_cols[name], raw, approximate=False).alias(
                    f"{i}:unique_distinct"
                )
            )
        if name in profiled:
            exprs.extend(profiling.aggregates(i, spec, typed, raw_schema[name], table))
    exprs.extend(consistency_exprs(table, declared))
    return exprs


def consistency_exprs(table: _Table, declared: Declared) -> list[pl.Expr]:
    schema = table.judged
    typed_cols = table.typed_cols
    # Rows are compared by a 64-bit hash of all their fields: one set of integers instead
    # of a set of whole rows. A false duplicate needs a hash collision (p < n^2 / 2^65).
    exprs: list[pl.Expr] = [pl.col(table.row_hash).n_unique().alias("distinct_rows")]
    pk = [k for k in schema.primary_key if k in table.raw_schema]
    if pk and len(pk) == len(schema.primary_key):
        key = _row_hash([table.hash_cols[k] for k in pk])
        any_null = pl.any_horizontal([pl.col(k).is_null() for k in pk])
        exprs.append(any_null.sum().alias("pk_null_rows"))
        exprs.append(key.filter(any_null.not_()).n_unique().alias("pk_distinct"))
    for j, rule in enumerate(declared.rules):
        left_spec = schema.field(rule.left)
        if left_spec is None or rule.left not in typed_cols:
            continue
        left = typed_cols[rule.left]
        if rule.right_field is not None:
            right_spec = schema.field(rule.right_field)
            if right_spec is None or rule.right_field not in typed_cols:
                continue
            right_kind = order_kind(right_spec, table.raw_schema[rule.right_field])
            right = typed_cols[rule.right_field]
        else:
            right_kind = None
            assert rule.right_literal is not None
            right = literal_for(left_spec, rule.right_literal)
        if not rule.comparable(order_kind(left_spec, table.raw_schema[rule.left]), right_kind):
            continue  # e.g. a text field against a number: reported as not checked
        exprs.append(rule.violated(left, right).sum().alias(f"rule{j}:violations"))
    ts = timestamp_field(schema, declared)
    if ts is not None and ts.name in typed_cols:
        exprs.append(typed_cols[ts.name].max().alias("newest"))
    return exprs


def timestamp_field(schema: TableSchema, declared: Declared) -> FieldSpec | None:
    """The date or datetime field that holds the record time (the declared one, if it is)."""
    if declared.timestamp_field is not None:
        field = schema.field(declared.timestamp_field)
        return field if field is not None and field.type in profiling.TEMPORAL else None
    return next((f for f in schema.fields if f.type in profiling.TEMPORAL), None)


# --- dimensions -------------------------------------------------------------------------------


def _not_judged(name: Any, reason: str, **measurements: Any) -> DimensionResult:
    return DimensionResult(name=name, judged=False, reason=reason, measurements=measurements)


def _dimensions(
    fmt: Format,
    table: _Table | None,
    *,
    stats: dict[str, Any],
    declared: Declared,
    facts: ByteFacts,
    as_of: datetime,
    expected_sha256: str | None,
    parse_error: str | None,
) -> list[DimensionResult]:
    access = _accessibility(facts, expected_sha256, parse_error)
    if table is None or not stats:
        reason = parse_error or "nothing to judge"
        return [
            _not_judged(n, reason)
            for n in ("normativity", "completeness", "accuracy", "consistency", "timeliness")
        ] + [access]
    rows: int = stats["rows"]
    return [
        _normativity(fmt, table, stats, facts, rows),
        _completeness(table, stats, rows),
        _accuracy(table, stats, rows),
        _consistency(table, stats, declared, rows),
        _timeliness(table, stats, declared, as_of),
        access,
    ]


def _accessibility(
    facts: ByteFacts, expected_sha256: str | None, parse_error: str | None
) -> DimensionResult:
    checks = {"read_back_complete": facts.read_error is None}
    if facts.read_error is None and facts.size_bytes > 0:
        checks["parseable"] = parse_error is None
    if expected_sha256 is not None:
        checks["content_hash_matches"] = facts.sha256 == expected_sha256.removeprefix("0x")
    passed = sum(checks.values())
    return DimensionResult(
        name="accessibility",
        judged=True,
        score=ratio_score(passed, len(checks)),
        measurements={
            **checks,
            "bytes_read": facts.size_bytes,
            "sha256": facts.sha256,
            "read_error": facts.read_error,
        },
    )


def _columns(table: _Table) -> list[tuple[int, str, FieldSpec]]:
    return [
        (i, name, table.judged.field(name) or FieldSpec(name=name))
        for i, name in enumerate(table.raw_schema)
    ]


def _normativity(
    fmt: Format, table: _Table, stats: dict[str, Any], facts: ByteFacts, rows: int
) -> DimensionResult:
    declared_names = {f.name for f in table.judged.fields}
    undeclared = [n for n in table.raw_schema if n not in declared_names]
    checked = bad = 0
    bad_by_column: dict[str, Any] = {}
    for i, name, _spec in _columns(table):
        if f"{i}:bad" not in stats:
            continue
        n_bad = int(stats[f"{i}:bad"] or 0)
        checked += rows - int(stats[f"{i}:nulls"])
        bad += n_bad
        if n_bad:
            bad_by_column[name] = n_bad
    structural = _structural_defects(fmt, facts, table)
    measurements: dict[str, Any] = {
        "schema_source": table.schema_source,
        "cells_checked": checked,
        "cells_nonconforming": bad,
        "undeclared_columns": len(undeclared),
        "bom": facts.bom,
        "line_ends": facts.line_ends,
        "line_ends_crlf": facts.crlf,
        "line_ends_cr": facts.cr_only,
        **{f"nonconforming:{k}": v for k, v in sorted(bad_by_column.items())[:50]},
        **{f"structure:{k}": v for k, v in structural.items()},
    }
    if checked == 0:
        return _not_judged(
            "normativity",
            "no rows" if rows == 0 else "no declared types, formats, patterns or enums to check",
            **measurements,
        )
    score = ratio_score(checked - bad, checked)
    if structural:
        score = min(score, STRUCTURAL_DEFECT_CAP)
    return DimensionResult(name="normativity", judged=True, score=score, measurements=measurements)


def _completeness(table: _Table, stats: dict[str, Any], rows: int) -> DimensionResult:
    missing_fields = [f.name for f in table.judged.fields if f.name not in table.raw_schema]
    nulls = sum(int(stats[f"{i}:nulls"]) for i, _, _ in _columns(table))
    required_nulls = sum(int(stats[f"{i}:nulls"]) for i, _, s in _columns(table) if s.required)
    cells = rows * (len(table.raw_schema) + len(missing_fields))
    missing_cells = nulls + rows * len(missing_fields)
    by_column = {
        f"nulls:{name}": int(stats[f"{i}:nulls"])
        for i, name, _ in _columns(table)[:200]
        if stats[f"{i}:nulls"]
    }
    measurements: dict[str, Any] = {
        "cells": cells,
        "null_cells": nulls,
        "required_null_cells": required_nulls,
        "declared_fields_missing": len(missing_fields),
        **by_column,
    }
    if cells == 0:
        return _not_judged("completeness", "no columns" if rows else "no rows", **measurements)
    return DimensionResult(
        name="completeness",
        judged=True,
        score=ratio_score(cells - missing_cells, cells),
        measurements=measurements,
    )


def _accuracy(table: _Table, stats: dict[str, Any], rows: int) -> DimensionResult:
    checked = out = 0
    by_column: dict[str, int] = {}
    for i, name, _ in _columns(table):
        if f"{i}:range_checked" in stats:
            checked += int(stats[f"{i}:range_checked"])
            n = int(stats[f"{i}:out_of_range"] or 0)
            out += n
            if n:
                by_column[f"out_of_range:{name}"] = n
    outliers = sum(int(stats.get(f"{i}:outliers") or 0) for i, _, _ in _columns(table))
    numeric = sum(int(stats.get(f"{i}:numeric_values") or 0) for i, _, _ in _columns(table))
    measurements: dict[str, Any] = {
        "values_range_checked": checked,
        "values_out_of_range": out,
        "outliers_tukey": outliers,
        "outlier_share": round(outliers / numeric, 6) if numeric else None,
        "outliers_sample_stride": stats.get("sample_stride", 1),
        **by_column,
    }
    if checked == 0:
        reason = "no rows" if rows == 0 else "no declared ranges (minimum/maximum) to check"
        return _not_judged("accuracy", reason, **measurements)
    return DimensionResult(
        name="accuracy",
        judged=True,
        score=ratio_score(checked - out, checked),
        measurements=measurements,
    )


def _consistency(
    table: _Table, stats: dict[str, Any], declared: Declared, rows: int
) -> DimensionResult:
    if rows == 0:
        return _not_judged("consistency", "no rows")
    violations: dict[str, int] = {"duplicate_rows": rows - int(stats["distinct_rows"])}
    if "pk_distinct" in stats:
        nonnull = rows - int(stats["pk_null_rows"])
        violations["duplicate_keys"] = nonnull - int(stats["pk_distinct"])
        violations["null_keys"] = int(stats["pk_null_rows"])
    for i, name, _ in _columns(table):
        if f"{i}:unique_distinct" in stats:
            nonnull = rows - int(stats[f"{i}:nulls"])
            violations[f"duplicate_values:{name}"] = nonnull - int(stats[f"{i}:unique_distinct"])
    skipped: list[str] = []
    for j, rule in enumerate(declared.rules):
        key = f"rule{j}:violations"
        if key in stats:
            violations[f"rule:{rule.text}"] = int(stats[key] or 0)
        else:
            skipped.append(rule.text)
    checks = len(violations)
    bad = sum(violations.values())
    measurements: dict[str, Any] = {"checks": checks, **violations}
    if skipped:
        measurements["rules_not_checked"] = "; ".join(skipped)[:500]
    return DimensionResult(
        name="consistency",
        judged=True,
        score=ratio_score(rows * checks - bad, rows * checks),
        measurements=measurements,
    )


def _timeliness(
    table: _Table, stats: dict[str, Any], declared: Declared, as_of: datetime
) -> DimensionResult:
    if declared.update_frequency is None:
        return _not_judged("timeliness", "no update frequency declared")
    period = update_period(declared.update_frequency)
    if period is None:
        return _not_judged(
            "timeliness", f"update frequency {declared.update_frequency!r} promises no period"
        )
    ts = timestamp_field(table.judged, declared)
    if ts is None or "newest" not in stats:
        named = declared.timestamp_field
        return _not_judged(
            "timeliness",
            f"field {named!r} is not a date or datetime field of the table"
            if named is not None
            else "no date or datetime field holds the record time",
        )
    newest = stats["newest"]
    if newest is None:
        return _not_judged("timeliness", f"field {ts.name!r} holds no valid timestamp")
    if isinstance(newest, datetime):
        newest_at = newest if newest.tzinfo else newest.replace(tzinfo=UTC)
    else:
        assert isinstance(newest, date)
        newest_at = datetime(newest.year, newest.month, newest.day, tzinfo=UTC)
    age = as_of - newest_at
    late = (age - period) / period
    score = 100.0 if late <= 0 else max(0.0, round(100 * (1 - late / STALE_PERIODS_TO_ZERO), 2))
    return DimensionResult(
        name="timeliness",
        judged=True,
        score=score,
        measurements={
            "timestamp_field": ts.name,
            "newest_record": newest_at.isoformat(),
            "age_s": int(age.total_seconds()),
            "update_period_s": int(period.total_seconds()),
            "periods_late": round(max(0.0, late), 4),
        },
    )
