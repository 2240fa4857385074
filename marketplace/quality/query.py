"""The table pass: the file opened as one lazy polars query, with each column's typed value and
each value's hash added, and every aggregate the dimensions and the profile need collected in one
select (with polars' streaming engine for files too large for memory).

A CSV is read first with its numeric columns parsed by the reader (fast: ``open_parsed``); if any
value there does not parse, it is read again with every column as text and converted inside the
query (``open_as_text``), so that each non-conforming value is counted. Rows with extra fields
make polars refuse the file unless told to truncate them: that is the last attempt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from marketplace import limits
from marketplace.quality import profile as profiling
from marketplace.quality.declared import Declared
from marketplace.quality.inference import BLANK, infer_text_schema
from marketplace.quality.reading import (
    Source,
    check_expansion,
    columns_of,
    expanded_bytes,
    head_rows,
    in_memory,
    rows_bound,
    scan_table,
)
from marketplace.quality.report import Format
from marketplace.quality.scan import ByteFacts
from marketplace.quality.scoring import TableShape
from marketplace.quality.table_schema import (
    MISSING_VALUES_DEFAULT,
    NUMERIC_DTYPES,
    FieldSpec,
    TableSchema,
    format_violation,
    infer_schema,
    typed_expr,
)


@dataclass
class Table:
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

    @property
    def shape(self) -> TableShape:
        return TableShape(
            columns=tuple(self.raw_schema),
            judged=self.judged,
            schema_source=self.schema_source,
            ragged=self.ragged,
        )


@dataclass(frozen=True)
class Opening:
    """What opening the table starts from: the file, its format, the declarations, what its bytes
    show (the first bytes' guess, or the byte pass's facts), and its first bytes."""

    path: Source
    fmt: Format
    declared: Declared
    facts: ByteFacts
    size: int
    prefix: bytes
    # Rows with more fields than the header have the extra ones dropped (the reader's
    # ``truncate_ragged_lines``) instead of failing the read: the last attempt at a CSV.
    ragged: bool = False


@dataclass
class _FirstRead:
    """The table as first read (a CSV: every column as text) and the schema it is judged by."""

    scan: pl.LazyFrame
    raw_schema: dict[str, pl.DataType]
    head: pl.DataFrame
    judged: TableSchema
    schema_source: str
    specs: dict[str, FieldSpec]
    text_numbers: list[str]  # numeric fields read as text, with no pattern, format or enum


def _first_read(opening: Opening) -> _FirstRead:
    """Scan the file, read its first rows, and settle the schema it is judged by: the declared
    one, or one inferred (a CSV's from its text, read again when it holds missing-value markers)."""
    path, fmt, facts, size = opening.path, opening.fmt, opening.facts, opening.size
    declared, ragged = opening.declared, opening.ragged
    scan = scan_table(path, fmt, facts, declared.schema, size=size, ragged=ragged)
    raw_schema = columns_of(scan)
    # The first rows as read (CSV: text): for inference, top-value candidates and samples.
    head = _head(opening, scan, raw_schema, declared.schema)
    if declared.schema is not None:
        judged, source = declared.schema, "inferred" if declared.schema_inferred else "declared"
    elif fmt == "csv":
        judged, source = infer_text_schema(head), "inferred"
        if judged.missing_values != MISSING_VALUES_DEFAULT:  # markers seen: read them as missing
            scan = scan_table(path, fmt, facts, judged, size=size, ragged=ragged)
            head = _head(opening, scan, raw_schema, judged)
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
    return _FirstRead(scan, raw_schema, head, judged, source, specs, text_numbers)


def _head(
    opening: Opening,
    scan: pl.LazyFrame,
    raw_schema: dict[str, pl.DataType],
    schema: TableSchema | None,
) -> pl.DataFrame:
    return head_rows(
        opening.prefix,
        opening.fmt,
        scan,
        list(raw_schema),
        facts=opening.facts,
        schema=schema,
        size=opening.size,
        ragged=opening.ragged,
    )


def open_parsed(opening: Opening) -> Table | None:
    """The table with its numeric fields read as text parsed by the CSV reader instead (fast);
    None when there is no such field. The reader refuses a value that does not parse."""
    first = _first_read(opening)
    if not first.text_numbers:
        return None
    dtypes = {n: NUMERIC_DTYPES[first.specs[n].type] for n in first.text_numbers}
    scan = scan_table(
        opening.path,
        opening.fmt,
        opening.facts,
        first.judged,
        size=opening.size,
        ragged=opening.ragged,
        parse=dtypes,
    )
    raw_schema = dict(scan.collect_schema())
    parsed = frozenset(first.text_numbers)
    return _query(opening, first, scan, raw_schema, parsed=parsed)


def open_as_text(opening: Opening) -> Table:
    """The table as first read: numeric fields read as text are converted inside the query, so
    that each value that does not conform is counted."""
    first = _first_read(opening)
    scan = first.scan
    if first.text_numbers:  # as the reader does: a blank numeric cell is empty, not malformed
        scan = scan.with_columns(
            pl.when(pl.col(n).str.contains(BLANK)).then(None).otherwise(pl.col(n)).alias(n)
            for n in first.text_numbers
        )
    return _query(
        opening,
        first,
        scan,
        first.raw_schema,
        compared_as_numbers=first.text_numbers,
    )


def _query(
    opening: Opening,
    first: _FirstRead,
    scan: pl.LazyFrame,
    raw_schema: dict[str, pl.DataType],
    *,
    parsed: frozenset[str] = frozenset(),
    compared_as_numbers: list[str] | None = None,
) -> Table:
    """The lazy query over ``scan``: typed columns, value hashes, the row hash, and the rows the
    numeric sample keeps. ``parsed``: columns the reader parsed as their type;
    ``compared_as_numbers``: numeric columns read as text, whose values compare as numbers."""
    tag = _tag(raw_schema)
    typed_cols, derived = _typed_columns(raw_schema, first.specs, tag)
    hashes = _value_hashes(raw_schema, typed_cols, compared_as_numbers or [], tag)
    hash_cols = {name: pl.col(f"{tag}h{i}") for i, name in enumerate(raw_schema)}
    row_hash = f"{tag}h"
    lf = (
        scan.with_columns(derived)
        .with_columns(hashes)
        .with_columns(row_hash_of(list(hash_cols.values())).alias(row_hash))
    )
    rows_max = rows_bound(opening.path, opening.fmt, opening.size, len(raw_schema))
    check_expansion(opening.fmt, rows_max, len(raw_schema))
    expanded = expanded_bytes(opening.fmt, opening.size, rows_max, len(raw_schema))
    small = in_memory(expanded)
    profiled = (
        limits.quality_profiled_columns_max
        if small
        else limits.quality_profiled_columns_streaming_max
    )
    numeric = {
        i: typed_cols[n]
        for i, n in enumerate(list(raw_schema)[:profiled])
        if first.specs[n].type in profiling.NUMERIC
    }
    # The in-memory engine holds every column anyway: its sample is the whole column.
    stride = profiling.sample_stride(0 if small else rows_max, len(numeric))
    in_sample = None
    if stride > 1:  # rows chosen by their hash: the same whatever order batches come in
        in_sample = f"{tag}s"
        lf = lf.with_columns((pl.col(row_hash) % stride == 0).alias(in_sample))
    sample = profiling.NumericSample(numeric, in_sample)
    if numeric:
        lf = lf.map_batches(sample, streamable=True)
    return Table(
        lf=lf,
        raw_schema=raw_schema,
        judged=first.judged,
        schema_source=first.schema_source,
        approximate=expanded > limits.quality_exact_bytes_max,
        # Small files go through polars' in-memory engine: its planning stays fast for
        # thousands of columns, where the streaming engine's does not. Larger files stream, and
        # fewer columns get a profile so that planning stays bounded.
        engine="in-memory" if small else "streaming",
        profiled_columns=profiled,
        head=first.head,
        row_hash=row_hash,
        stride=stride,
        sample=sample,
        typed_cols=typed_cols,
        hash_cols=hash_cols,
        parsed=set(parsed),
        ragged=opening.ragged,
    )


def _tag(names: Iterable[str]) -> str:
    """A prefix no column name starts with, for the columns the query adds."""
    tag = "§"
    while any(n.startswith(tag) for n in names):
        tag += "§"
    return tag


def _typed_columns(
    raw_schema: dict[str, pl.DataType], specs: dict[str, FieldSpec], tag: str
) -> tuple[dict[str, pl.Expr], list[pl.Expr]]:
    """Each column in its declared type, and the columns the query adds to hold those that are
    converted."""
    typed_cols: dict[str, pl.Expr] = {}
    derived: list[pl.Expr] = []
    for i, name in enumerate(raw_schema):
        raw = pl.col(name)
        typed = typed_expr(specs[name], raw, raw_schema[name])
        if typed.meta.eq(raw):
            typed_cols[name] = raw
        else:  # computed once per batch, then shared by every aggregate that needs it
            derived.append(typed.alias(f"{tag}{i}"))
            typed_cols[name] = pl.col(f"{tag}{i}")
    return typed_cols, derived


def _value_hashes(
    raw_schema: dict[str, pl.DataType],
    typed_cols: dict[str, pl.Expr],
    compared_as_numbers: list[str],
    tag: str,
) -> list[pl.Expr]:
    """Each value's 64-bit hash, as the columns the query adds."""
    hashes: list[pl.Expr] = []
    for i, name in enumerate(raw_schema):
        raw = pl.col(name)
        # Numbers compare as numbers whichever way they were read ("01" is "1", "-0" is "0");
        # a value that does not conform compares as its text.
        number = typed_cols[name]
        value = (
            pl.coalesce(pl.when(number == 0).then(0).otherwise(number).cast(pl.String), raw)
            if name in compared_as_numbers
            else raw
        )
        # Each field under its own seed, so that moving a value to another field changes the
        # row's hash. Distinct counts, keys and top values compare these hashes too.
        hashes.append(value.hash(seed=i).alias(f"{tag}h{i}"))
    return hashes


def row_hash_of(hashes: list[pl.Expr]) -> pl.Expr:
    """A 64-bit hash of each row: the sum modulo 2^64 (polars' unsigned arithmetic wraps) of its
    fields' hashes. Cheaper than hashing a struct, which encodes every row first."""
    if not hashes:
        return pl.lit(0, pl.UInt64)
    return pl.sum_horizontal(hashes)
