"""The Frictionless Table Schema (https://specs.frictionlessdata.io/table-schema/): field types,
formats and constraints, primary key and missing values; parsing a descriptor within its bounds;
and how each field's declared type becomes a polars expression. Nothing here reads a file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal, get_args

import polars as pl

from ledger.errors import first_line
from marketplace import limits
from marketplace.quality.errors import DeclarationError

FieldType = Literal[
    "string", "integer", "number", "boolean", "date", "datetime", "year", "any", "object", "array"
]
FIELD_TYPES: tuple[str, ...] = get_args(FieldType)

TRUE_VALUES_DEFAULT = ("true", "True", "TRUE", "1")
FALSE_VALUES_DEFAULT = ("false", "False", "FALSE", "0")
MISSING_VALUES_DEFAULT = ("",)
# Cells that stand for "no value" in real exports, recognised when a schema is inferred: the
# list pandas' read_csv has used for years, which covers R (NA), spreadsheets (#N/A, N/A),
# SQL dumps (NULL), Python (None, nan), pandas (<NA>) and the Windows C library (1.#IND).
# Inference writes the ones a table holds into its ``missingValues`` (docs/quality.md).
# "-", "." and "?" are left out: they are real values in some text columns.
MISSING_MARKERS: tuple[str, ...] = (
    "", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "null", "NULL", "None",
    "#N/A", "#N/A N/A", "#NA", "<NA>", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN",
)  # fmt: skip


def missing_values_seen(seen: set[str]) -> tuple[str, ...]:
    """The ``missingValues`` of an inferred schema: the empty cell, then the markers seen, in
    the order of ``MISSING_MARKERS`` (so the schema, and its hash, do not depend on row order)."""
    return ("", *(m for m in MISSING_MARKERS[1:] if m in seen))


# Patterns for Table Schema string formats (https://specs.frictionlessdata.io/table-schema/).
STRING_FORMAT_PATTERNS = {
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    "uri": r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$",
    "uuid": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
}


def check_descriptor_bounds(descriptor: object) -> None:
    """Refuse a Table Schema nested deeper than ``table_schema_depth_max`` or whose JSON is
    larger than ``table_schema_bytes_max``, before anything else reads it: one stored would
    have to be shown (DCAT, revisions) and parsed again by every reader. The walk is iterative
    and the depth is checked before the size is measured, so neither recursion can overflow."""
    depth_max = limits.table_schema_depth_max
    stack: list[tuple[object, int]] = [(descriptor, 1)]
    while stack:
        value, depth = stack.pop()
        if not isinstance(value, dict | list):
            continue
        if depth > depth_max:
            raise DeclarationError(
                f"the Table Schema nests objects and arrays more than {depth_max} levels deep"
            )
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children)
    size = len(json.dumps(descriptor, ensure_ascii=False, separators=(",", ":")).encode())
    if size > limits.table_schema_bytes_max:
        raise DeclarationError(
            f"the Table Schema is {size} bytes of JSON; at most {limits.table_schema_bytes_max}"
        )


def bounded(descriptor: dict[str, Any]) -> dict[str, Any]:
    """``check_descriptor_bounds`` as a pydantic ``AfterValidator`` for request bodies (its
    ``DeclarationError`` is a ``ValueError``, so a refusal is a 422 naming the field)."""
    check_descriptor_bounds(descriptor)
    return descriptor


def within_bounds(descriptor: object) -> bool:
    """Whether ``check_descriptor_bounds`` accepts it (for showing what is already stored)."""
    try:
        check_descriptor_bounds(descriptor)
    except DeclarationError:
        return False
    return True


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType = "any"
    format: str = "default"
    required: bool = False
    unique: bool = False
    minimum: float | str | None = None
    maximum: float | str | None = None
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    true_values: tuple[str, ...] = TRUE_VALUES_DEFAULT
    false_values: tuple[str, ...] = FALSE_VALUES_DEFAULT

    @property
    def has_range(self) -> bool:
        return self.minimum is not None or self.maximum is not None


@dataclass(frozen=True)
class TableSchema:
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...] = ()
    missing_values: tuple[str, ...] = MISSING_VALUES_DEFAULT

    def field(self, name: str) -> FieldSpec | None:
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, FieldSpec]:
        return {f.name: f for f in self.fields}

    @classmethod
    def from_frictionless(cls, descriptor: dict[str, Any]) -> TableSchema:
        """Parse a Table Schema descriptor; raise ``DeclarationError`` naming the bad part."""
        check_descriptor_bounds(descriptor)
        raw_fields = descriptor.get("fields")
        if not isinstance(raw_fields, list):
            raise DeclarationError("schema.fields must be a list")
        if len(raw_fields) > limits.quality_schema_fields_max:
            raise DeclarationError(
                f"schema.fields has {len(raw_fields)} fields; at most "
                f"{limits.quality_schema_fields_max}"
            )
        fields = tuple(_parse_field(i, f) for i, f in enumerate(raw_fields))
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise DeclarationError("schema.fields: field names must be unique")
        pk = descriptor.get("primaryKey", [])
        pk_names = (pk,) if isinstance(pk, str) else tuple(pk)
        for name in pk_names:
            if name not in names:
                raise DeclarationError(f"schema.primaryKey: {name!r} is not a field")
        missing = descriptor.get("missingValues", list(MISSING_VALUES_DEFAULT))
        if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
            raise DeclarationError("schema.missingValues must be a list of strings")
        return cls(fields=fields, primary_key=pk_names, missing_values=tuple(missing))

    def to_frictionless(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fields": [_field_descriptor(f) for f in self.fields]}
        if self.primary_key:
            out["primaryKey"] = list(self.primary_key)
        if self.missing_values != MISSING_VALUES_DEFAULT:
            out["missingValues"] = list(self.missing_values)
        return out


def _parse_field(index: int, raw: Any) -> FieldSpec:
    where = f"schema.fields[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise DeclarationError(f"{where} needs a non-empty name")
    ftype = raw.get("type", "any")
    if ftype not in FIELD_TYPES:
        ftype = "any"  # types we do not check (time, duration, geopoint, ...) are not judged
    fmt = raw.get("format", "default")
    cons = raw.get("constraints", {}) or {}
    if not isinstance(cons, dict):
        raise DeclarationError(f"{where}.constraints must be an object")
    pattern = cons.get("pattern")
    if pattern is not None:
        try:  # polars' regex dialect (Rust) is the one that runs; Python's is the fallback
            re.compile(pattern)
            pl.Series([""]).str.contains(f"^(?:{pattern})$")
        except (re.error, pl.exceptions.PolarsError) as exc:
            raise DeclarationError(f"{where}.constraints.pattern: {exc}") from None
    enum = cons.get("enum")
    for key in ("trueValues", "falseValues"):
        values = raw.get(key)
        if values is not None and (
            not isinstance(values, list) or not all(isinstance(v, str) for v in values)
        ):
            raise DeclarationError(f"{where}.{key} must be a list of strings")
    if ftype in ("date", "datetime") and isinstance(fmt, str) and fmt not in ("default", "any"):
        try:  # the format runs in polars; one it refuses would fail every evaluation
            pl.Series(["2024-01-02"]).str.to_datetime(fmt, strict=False)
        except pl.exceptions.PolarsError as exc:
            raise DeclarationError(f"{where}.format: {first_line(exc)}") from None
    spec = FieldSpec(
        name=raw["name"],
        type=ftype,
        format=fmt if isinstance(fmt, str) else "default",
        required=bool(cons.get("required", False)),
        unique=bool(cons.get("unique", False)),
        minimum=cons.get("minimum"),
        maximum=cons.get("maximum"),
        pattern=pattern,
        enum=tuple(str(v) for v in enum) if isinstance(enum, list) else None,
        true_values=tuple(raw.get("trueValues", TRUE_VALUES_DEFAULT)),
        false_values=tuple(raw.get("falseValues", FALSE_VALUES_DEFAULT)),
    )
    for bound in ("minimum", "maximum"):
        _check_bound(f"{where}.constraints.{bound}", spec, getattr(spec, bound))
    if spec.type == "any":  # time, duration, ...: not judged, nor are their bounds
        spec = replace(spec, minimum=None, maximum=None)
    return spec


def _check_bound(where: str, spec: FieldSpec, value: object) -> None:
    """A minimum or maximum the evaluation can compare values with: for numeric and temporal
    fields a number or text that reads as the field's type in its format (as Table Schema
    allows), for text fields text; booleans have no order."""
    if value is None or spec.type == "any":
        return
    if spec.type == "boolean":
        raise DeclarationError(f"{where}: boolean fields have no order to bound")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise DeclarationError(f"{where} must be a number or text")
    if spec.type in ("string", "date", "datetime") and not isinstance(value, str):
        raise DeclarationError(f"{where} must be text for {spec.type} fields")
    if (
        spec.type != "string"
        and isinstance(value, str)
        and pl.select(literal_for(spec, value)).item() is None
    ):
        raise DeclarationError(
            f"{where}: {value!r} does not read as {spec.type} in the field's format"
        )


def _field_descriptor(f: FieldSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "type": f.type}
    if f.format != "default":
        out["format"] = f.format
    bounds = (
        ("required", f.required or None),
        ("unique", f.unique or None),
        ("minimum", f.minimum),
        ("maximum", f.maximum),
        ("pattern", f.pattern),
        ("enum", list(f.enum) if f.enum is not None else None),
    )
    cons = {key: value for key, value in bounds if value is not None}
    if cons:
        out["constraints"] = cons
    return out


# --- inference from polars dtypes -----------------------------------------------------------------


def frictionless_type(dtype: pl.DataType) -> FieldType:  # noqa: PLR0911 -- one per type
    """The Table Schema type of a polars dtype."""
    if dtype.is_integer():
        return "integer"
    if dtype.is_float() or dtype.is_decimal():
        return "number"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "string"
    if isinstance(dtype, pl.Struct):
        return "object"
    if isinstance(dtype, (pl.List, pl.Array)):
        return "array"
    return "any"


def infer_schema(polars_schema: dict[str, pl.DataType]) -> TableSchema:
    return TableSchema(
        fields=tuple(FieldSpec(name=n, type=frictionless_type(t)) for n, t in polars_schema.items())
    )


# --- typed expressions ------------------------------------------------------------------------

# Types a CSV reader can parse itself (the evaluation's fast path): polars takes a blank cell
# for null and stops at any other value that does not parse.
NUMERIC_DTYPES: dict[str, pl.DataType] = {
    "integer": pl.Int64(),
    "year": pl.Int64(),
    "number": pl.Float64(),
}


def typed_expr(spec: FieldSpec, raw: pl.Expr, raw_dtype: pl.DataType) -> pl.Expr:  # noqa: PLR0911
    """The column converted to its declared type; values that do not conform become null."""
    if NUMERIC_DTYPES.get(spec.type) == raw_dtype:
        return raw  # already read as its type
    text = raw_dtype == pl.String
    match spec.type:
        case "integer" | "year":
            if raw_dtype.is_integer():  # already an integer, maybe wider than 64 bits
                return raw
            return (raw.str.strip_chars() if text else raw).cast(pl.Int64, strict=False)
        case "number":
            return (raw.str.strip_chars() if text else raw).cast(pl.Float64, strict=False)
        case "boolean":
            if not text:
                return raw.cast(pl.Boolean, strict=False)
            return (
                pl.when(raw.is_in(list(spec.true_values)))
                .then(pl.lit(True))
                .when(raw.is_in(list(spec.false_values)))
                .then(pl.lit(False))
                .otherwise(pl.lit(None, dtype=pl.Boolean))
            )
        case "date":
            if not text:
                return raw.cast(pl.Date, strict=False)
            fmt = {"default": "%Y-%m-%d", "any": None}.get(spec.format, spec.format)
            return raw.str.to_date(fmt, strict=False, cache=False)
        case "datetime":
            if not text:
                stamped = raw.cast(pl.Datetime("us"), strict=False)
                return stamped.dt.replace_time_zone("UTC") if _naive(raw_dtype) else stamped
            return _datetime_from_text(spec.format, raw)
        case _:
            return raw


def _naive(dtype: pl.DataType) -> bool:
    return not (isinstance(dtype, pl.Datetime) and dtype.time_zone is not None)


def _datetime_from_text(fmt: str, raw: pl.Expr) -> pl.Expr:
    """ISO 8601 (``T`` or space, optional fraction, ``Z`` or an offset) by default; naive times
    are taken as UTC. A custom strptime format applies as given."""
    if fmt not in ("default", "any"):
        return raw.str.to_datetime(
            fmt, strict=False, cache=False, time_unit="us"
        ).dt.replace_time_zone("UTC")
    norm = raw.str.strip_chars().str.replace(r"Z$", "+00:00").str.replace(" ", "T", literal=True)
    aware = norm.str.to_datetime(
        "%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, cache=False, time_unit="us", time_zone="UTC"
    )
    naive = norm.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, cache=False, time_unit="us")
    return pl.coalesce(aware, naive.dt.replace_time_zone("UTC"))


def literal_for(spec: FieldSpec, value: float | str) -> pl.Expr:
    """A declared bound or rule literal, in the field's type: text is read with the field's type
    and format, and a datetime may also be given as a plain ISO date (midnight UTC)."""
    if not isinstance(value, str):
        return pl.lit(value)
    typed = typed_expr(spec, pl.lit(value), pl.String())
    if spec.type == "datetime":
        day = pl.lit(value).str.to_date("%Y-%m-%d", strict=False)
        typed = typed.fill_null(day.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"))
    return typed


def format_violation(spec: FieldSpec, raw: pl.Expr) -> pl.Expr | None:
    """True where a present text value breaks the declared pattern, format or enum."""
    checks: list[pl.Expr] = []
    if spec.pattern is not None:
        checks.append(~raw.str.contains(f"^(?:{spec.pattern})$"))
    if spec.type == "string" and spec.format in STRING_FORMAT_PATTERNS:
        checks.append(~raw.str.contains(STRING_FORMAT_PATTERNS[spec.format]))
    if spec.enum is not None:
        checks.append(~raw.cast(pl.String).is_in(list(spec.enum)))
    if not checks:
        return None
    out = checks[0]
    for c in checks[1:]:
        out = out | c
    return out
