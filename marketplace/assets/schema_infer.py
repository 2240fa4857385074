"""Streaming checks and schema inference for tabular content, emitting Frictionless Table Schema.

We infer types ourselves instead of depending on the ``frictionless`` library: it pulls in
dozens of packages (petl, jsonschema, simpleeval, typer pins, ...) and reads files whole or
through its own loaders, while uploads here arrive as an encrypted stream that must be checked
in one pass and constant memory. The output is the same JSON format (``fields`` with ``name``
and ``type`` from the Table Schema type list, ``missingValues``), and the supplier may correct
it afterwards.

Every row is checked (a CSV row with a different number of columns than the header is an
error, a JSON Lines line that is not an object is an error); types are inferred from the first
``schema_sample_rows_max`` rows. In a CSV, cells that are missing-value markers (``NA``,
``NULL``, ...: ``MISSING_MARKERS``) take no part in a column's type, and the markers found in
any row become the schema's ``missingValues``: an ``NA`` first seen on row 5,000 is missing, not
a malformed number. (Looking in every row costs about a sixth of the parse: one set look-up a
field.)
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from itertools import chain, islice
from typing import Any, Final, Protocol

import polars as pl

from ledger.canonical import canonical_json
from marketplace import limits
from marketplace.json_depth import lone_surrogate, nesting_exceeds
from marketplace.quality.errors import DeclarationError
from marketplace.quality.table_schema import (
    MISSING_MARKERS,
    check_descriptor_bounds,
    frictionless_type,
    missing_values_seen,
)

MISSING_VALUES: Final = [""]
_MARKERS: Final = frozenset(MISSING_MARKERS)
_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_BOOLEANS = frozenset({"true", "false", "True", "False", "TRUE", "FALSE"})
# Most specific first; a column takes the first type every sampled value satisfies.
_CANDIDATES: Final = ("integer", "number", "boolean", "date", "datetime", "string")

# The csv module refuses a field over 128 KiB (``csv.field_size_limit``, process-wide). A record
# may be up to ``csv_record_bytes_max`` (docs/assets.md), and so may its one field.
csv.field_size_limit(max(csv.field_size_limit(), limits.csv_record_bytes_max))


class TabularError(ValueError):
    """The content is not the tabular format it was declared as."""


class ContentChecker(Protocol):
    def update(self, data: bytes) -> None: ...
    def finish(self) -> dict[str, Any] | None: ...


def _fits(value: str, kind: str) -> bool:
    if kind == "integer":
        return bool(_INTEGER.match(value))
    if kind == "number":
        return bool(_NUMBER.match(value))
    if kind == "boolean":
        return value in _BOOLEANS
    if kind == "date":
        return _is_moment(value, _DATE, date.fromisoformat)
    if kind == "datetime":
        return _is_moment(value, _DATETIME, datetime.fromisoformat)
    return True


def _is_moment(value: str, pattern: re.Pattern[str], parse: Callable[[str], object]) -> bool:
    """The value has the pattern's form and is a real date or time (no 2023-02-30)."""
    if not pattern.match(value):
        return False
    try:
        parse(value)
    except ValueError:
        return False
    return True


def inferred(
    fields: list[dict[str, Any]], missing_values: Sequence[str] = MISSING_VALUES
) -> dict[str, Any]:
    """An inferred schema, held to the bounds of a declared one (a CSV header of long names
    could otherwise store megabytes)."""
    schema = {"fields": fields, "missingValues": list(missing_values)}
    try:
        check_descriptor_bounds(schema)
    except DeclarationError as exc:
        raise TabularError(
            f"{exc} as inferred from the content; shorten the column names or declare the "
            "format 'opaque'"
        ) from None
    return schema


def schema_hash(schema: dict[str, Any]) -> str:
    """SHA-256 (hex) of the schema's RFC 8785 canonical JSON."""
    return hashlib.sha256(canonical_json(schema)).hexdigest()


class CsvChecker:
    """Feed UTF-8 CSV bytes; every record is checked, the first rows are sampled for types."""

    def __init__(self, sample_rows_max: int = limits.schema_sample_rows_max) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
        self._pending = ""
        self._header: list[str] | None = None
        self._candidates: list[list[str]] = []
        self._valued: list[bool] = []  # per column: a value (not a marker) in the sample
        self._markers_seen: set[str] = set()
        self._sample_rows_max = sample_rows_max
        self._rows = 0
        self._line = 1  # line of the next record, for messages

    def update(self, data: bytes) -> None:
        try:
            text = self._decoder.decode(data)
        except UnicodeDecodeError as exc:
            raise TabularError("the CSV is not UTF-8 text") from exc
        self._pending += text
        cut = self._pending.rfind("\n")
        if cut < 0:
            self._check_pending_size()
            return
        block = self._pending[: cut + 1]
        if block.count('"') % 2:  # a quoted field continues past this block
            self._check_pending_size()
            return
        self._pending = self._pending[cut + 1 :]
        self._parse(block)

    def _check_pending_size(self) -> None:
        if len(self._pending) > limits.csv_record_bytes_max:
            raise TabularError(self._too_long())

    def _too_long(self) -> str:
        return (
            f"a CSV record near line {self._line} is longer than "
            f"{limits.csv_record_bytes_max} bytes or has an unclosed quote"
        )

    def _parse(self, block: str) -> None:
        try:
            rows = list(csv.reader(io.StringIO(block), strict=True))
        except csv.Error as exc:
            if "field limit" in str(exc):  # a record that came in one piece with its line end
                raise TabularError(self._too_long()) from exc
            raise TabularError(f"the CSV is malformed near line {self._line}: {exc}") from exc
        # Past the header: a column may be named "NA".
        first = 0 if self._header is not None else next((i + 1 for i, r in enumerate(rows) if r), 0)
        self._markers_seen.update(
            _MARKERS.intersection(chain.from_iterable(islice(rows, first, None)))
        )
        for row in rows:
            self._line += 1
            if not row:
                continue
            if self._header is None:
                self._set_header(row)
                continue
            if len(row) != len(self._header):
                raise TabularError(
                    f"CSV line {self._line - 1} has {len(row)} columns, the header has "
                    f"{len(self._header)}; fix the file or declare the format 'opaque'"
                )
            self._rows += 1
            if self._rows <= self._sample_rows_max:
                self._sample(row)

    def _set_header(self, row: list[str]) -> None:
        names = [name.strip() for name in row]
        if len(names) > limits.schema_fields_max:
            raise TabularError(f"the CSV has more than {limits.schema_fields_max} columns")
        if any(not n for n in names):
            raise TabularError("the CSV header has an empty column name")
        if len(set(names)) != len(names):
            raise TabularError("the CSV header repeats a column name")
        self._header = names
        self._candidates = [list(_CANDIDATES) for _ in names]
        self._valued = [False] * len(names)

    def _sample(self, row: list[str]) -> None:
        for i, (value, candidates) in enumerate(zip(row, self._candidates, strict=True)):
            if value in _MARKERS:
                continue
            self._valued[i] = True
            while not _fits(value, candidates[0]):
                candidates.pop(0)

    def finish(self) -> dict[str, Any]:
        try:
            tail = self._pending + self._decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise TabularError("the CSV is not UTF-8 text") from exc
        self._pending = ""
        if tail:
            if tail.count('"') % 2:
                raise TabularError(f"the CSV ends inside a quoted field (line {self._line})")
            self._parse(tail)
        if self._header is None:
            raise TabularError("the CSV is empty: it needs at least a header row")
        fields = []
        for name, candidates, valued in zip(
            self._header, self._candidates, self._valued, strict=True
        ):
            kind = candidates[0] if valued else "string"  # no value in the sample: a string
            fields.append({"name": name, "type": kind})
        return inferred(fields, missing_values_seen(self._markers_seen))


def _json_type(value: Any) -> str | None:  # noqa: PLR0911 -- one return per JSON type
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        for kind in ("date", "datetime"):
            if _fits(value, kind):
                return kind
        return "string"
    return "any"


def _merge(a: str | None, b: str | None) -> str | None:
    if a is None or a == b:
        return b if a is None else a
    if b is None:
        return a
    if {a, b} == {"integer", "number"}:
        return "number"
    if {a, b} <= {"date", "datetime", "string"}:
        return "string"
    return "any"


class JsonLinesChecker:
    """Feed JSON Lines bytes: every non-empty line must be a JSON object."""

    def __init__(self, sample_rows_max: int = limits.schema_sample_rows_max) -> None:
        self._pending = b""
        self._types: dict[str, str | None] = {}
        self._rows = 0
        self._line = 0
        self._sample_rows_max = sample_rows_max

    def update(self, data: bytes) -> None:
        self._pending += data
        cut = self._pending.rfind(b"\n")
        if cut < 0:
            if len(self._pending) > limits.jsonl_line_bytes_max:
                raise TabularError(f"a JSON Lines line is over {limits.jsonl_line_bytes_max} bytes")
            return
        block, self._pending = self._pending[: cut + 1], self._pending[cut + 1 :]
        for line in block.split(b"\n")[:-1]:
            self._check(line)

    def _check(self, line: bytes) -> None:
        self._line += 1
        if not line.strip():
            return
        if nesting_exceeds(line, limits.jsonl_nesting_depth_max):
            raise TabularError(
                f"JSON Lines line {self._line} nests arrays and objects more than "
                f"{limits.jsonl_nesting_depth_max} deep"
            )
        if lone_surrogate(line):
            raise TabularError(
                f"JSON Lines line {self._line} holds a lone UTF-16 surrogate (\\uD800 to "
                "\\uDFFF outside a pair), which is not text"
            )
        try:
            value = json.loads(line)
        except (UnicodeDecodeError, ValueError) as exc:
            raise TabularError(f"JSON Lines line {self._line} is not valid JSON") from exc
        if not isinstance(value, dict):
            raise TabularError(f"JSON Lines line {self._line} is not a JSON object")
        self._rows += 1
        if self._rows > self._sample_rows_max:
            return
        for key, item in value.items():
            if key not in self._types and len(self._types) >= limits.schema_fields_max:
                raise TabularError(f"the JSON Lines rows have over {limits.schema_fields_max} keys")
            self._types[key] = _merge(self._types.get(key), _json_type(item))

    def finish(self) -> dict[str, Any]:
        if self._pending:
            self._check(self._pending)
            self._pending = b""
        if not self._rows:
            raise TabularError("the JSON Lines file has no rows")
        fields = [{"name": k, "type": t or "string"} for k, t in self._types.items()]
        return inferred(fields)


class ParquetChecker:
    """Checks the Parquet magic at both ends and reads the schema from the footer.

    A Parquet file keeps its schema in a footer at the end (``<metadata><length:u32>PAR1``), so
    only the last ``parquet_footer_bytes_max`` bytes are kept while the upload streams past;
    polars reads the schema from them. A footer larger than that leaves the schema to the
    supplier."""

    def __init__(self) -> None:
        self._head = b""
        self._tail = bytearray()

    def update(self, data: bytes) -> None:
        if len(self._head) < 4:
            self._head = (self._head + data)[:4]
        self._tail += data
        if len(self._tail) > 2 * limits.parquet_footer_bytes_max:  # trim rarely: amortised O(1)
            del self._tail[: -limits.parquet_footer_bytes_max]

    def finish(self) -> dict[str, Any] | None:
        if self._head != b"PAR1" or self._tail[-4:] != b"PAR1" or len(self._tail) < 12:
            raise TabularError("the file is not Parquet (no PAR1 magic); declare it 'opaque'")
        footer_bytes = int.from_bytes(self._tail[-8:-4], "little")
        if footer_bytes + 8 > len(self._tail):
            return None  # a footer over the limit: the supplier declares the schema
        footer = bytes(self._tail[-(footer_bytes + 8) :])
        try:
            # The footer alone, behind the leading magic, is a file polars reads the schema of.
            schema = pl.read_parquet_schema(io.BytesIO(b"PAR1" + footer))
        except Exception as exc:  # noqa: BLE001 -- any parse failure means a broken footer
            raise TabularError(f"the Parquet footer cannot be read: {exc}") from None
        if not schema:
            raise TabularError("the Parquet file has no columns")
        if len(schema) > limits.schema_fields_max:
            raise TabularError(f"the Parquet file has more than {limits.schema_fields_max} columns")
        fields = [{"name": name, "type": _parquet_type(dtype)} for name, dtype in schema.items()]
        return inferred(fields)


def _parquet_type(dtype: pl.DataType) -> str:
    """The Table Schema type of a Parquet column. The two types quality does not judge (and so
    maps to "any") are still declared, so the supplier's schema says what the file holds."""
    if dtype == pl.Time:
        return "time"
    if isinstance(dtype, pl.Duration):
        return "duration"
    return frictionless_type(dtype)


class OpaqueChecker:
    def update(self, data: bytes) -> None:
        return

    def finish(self) -> None:
        return None


def checker_for(content_format: str) -> ContentChecker:
    if content_format == "csv":
        return CsvChecker()
    if content_format == "jsonl":
        return JsonLinesChecker()
    if content_format == "parquet":
        return ParquetChecker()
    assert content_format == "opaque", content_format
    return OpaqueChecker()
