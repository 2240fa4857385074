"""Reading a tabular file: its bytes (from a path, or content already in memory), its first
bytes, and polars' lazy scan of it in each format, with the options the byte pass says the bytes
need. CSV columns are read as text unless told otherwise, so that a value that does not conform
is counted, not fatal.
"""

from __future__ import annotations

import glob
import io
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from ledger.errors import first_line
from marketplace import limits
from marketplace.quality.report import Format
from marketplace.quality.scan import ByteFacts, scan_options
from marketplace.quality.table_schema import TableSchema

Source = Path | bytes  # a file, or content already in memory (small decrypted revisions)

JSON_ROWS = limits.quality_infer_rows  # lines a streamed JSON Lines file's schema is read from
_CELL_BYTES_MIN = 8  # an integer or float cell in memory; a text cell takes more


class Unjudgeable(ValueError):
    """A table the evaluation cannot judge whatever its content: too many columns, or column
    names the query engine cannot take literally."""


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


def size_of(source: Source) -> int:
    if isinstance(source, bytes):
        return len(source)
    return source.stat().st_size if source.is_file() else 0


def first_bytes(source: Source, size_bytes: int) -> bytes:
    if isinstance(source, bytes):
        return source[:size_bytes]
    with source.open("rb") as fh:
        return fh.read(size_bytes)


def in_memory(size: int) -> bool:
    """Whether a file of ``size`` bytes is small enough for polars' in-memory engine."""
    return size <= limits.quality_in_memory_bytes_max


def scan_table(
    path: Source,
    fmt: Format,
    facts: ByteFacts,
    schema: TableSchema | None,
    *,
    size: int,
    ragged: bool,
    parse: dict[str, pl.DataType] | None = None,
) -> pl.LazyFrame:
    """polars' lazy scan of the file; a CSV's columns are text but for those in ``parse``."""
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
            **scan_options(facts),
        )
        if default:  # a quoted empty field ("") is read as text; it is missing too
            text = pl.col(pl.String)
            scan = scan.with_columns(pl.when(text != "").then(text))
        return scan
    if fmt == "jsonl":  # scan_ndjson has no glob=False: escape the name instead
        source = path if isinstance(path, bytes) else glob.escape(str(path))
        # A key or a type can first show up on any line: files read in memory are inferred whole.
        return pl.scan_ndjson(source, infer_schema_length=None if in_memory(size) else JSON_ROWS)
    if isinstance(path, bytes):
        return pl.scan_parquet(io.BytesIO(path))
    return pl.scan_parquet(path, glob=False)


def columns_of(scan: pl.LazyFrame) -> dict[str, pl.DataType]:
    """The scan's columns and their types; ``Unjudgeable`` for columns no query can judge."""
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


def head_rows(
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
            prefix = prefix[: prefix.rfind(scan_options(facts)["eol_char"].encode()) + 1]
        try:
            cut = scan_table(prefix, fmt, facts, schema, size=len(prefix), ragged=ragged)
            head = cut.head(rows + 1).collect()
        except pl.exceptions.PolarsError:
            head = None
        if head is not None and head.columns == columns and (whole or head.height > rows):
            return head.head(rows)
    return scan.head(rows).collect()


def expanded_bytes(fmt: Format, size: int, rows: int, columns: int) -> int:
    """What the table takes in memory at the least. A text file takes about its size; a
    Parquet file's pages are compressed (a column of one repeated value takes a few bytes for
    millions of rows), so it is counted as its declared rows times columns, 8 bytes a cell."""
    if fmt != "parquet":
        return size
    return max(size, rows * columns * _CELL_BYTES_MIN)


def check_expansion(fmt: Format, rows: int, columns: int) -> None:
    """Raises Unjudgeable for a Parquet file that declares more cells than the evaluation
    reads: a decompression bomb of 100 KiB can declare billions of rows."""
    if fmt == "parquet" and rows * columns > limits.quality_parquet_cells_max:
        raise Unjudgeable(
            f"the Parquet file declares {rows} rows of {columns} column(s), more than the "
            f"{limits.quality_parquet_cells_max} cells an evaluation reads"
        )


def rows_bound(path: Source, fmt: Format, size: int, columns: int) -> int:
    """The most rows the file can hold: a CSV row takes at least one byte per column (its
    delimiters and line end), a JSON line at least three (``{}`` and the line end); Parquet
    says in its footer."""
    if fmt == "csv":
        return size // max(1, columns)
    if fmt == "jsonl":
        return size // 3
    scan = scan_table(path, fmt, ByteFacts(), None, size=size, ragged=False)
    count: int = scan.select(pl.len()).collect().item()
    return count
