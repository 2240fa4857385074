"""What a supplier declares about a table, and how each declaration becomes a polars expression.

The declarations are a Frictionless Table Schema (field types, formats, constraints, primary
key, missing values) plus three things Table Schema has no place for: cross-field rules
(``end_date >= start_date``), the update frequency (DCAT ``accrualPeriodicity``) and the field
that holds each record's timestamp. Nothing here reads a file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cached_property
from typing import Any, Literal

import polars as pl

from marketplace import limits
from marketplace.errors import first_line

FieldType = Literal[
    "string", "integer", "number", "boolean", "date", "datetime", "year", "any", "object", "array"
]
FIELD_TYPES: tuple[str, ...] = FieldType.__args__  # type: ignore[attr-defined]

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


class DeclarationError(ValueError):
    """A declaration (schema, rule, frequency) is malformed. The message names the part."""


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


# --- inference --------------------------------------------------------------------------------


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


# What text inference tries, in order: a column takes the first type every value converts to.
_TEXT_TYPES: tuple[FieldType, ...] = ("integer", "number", "boolean", "date", "datetime")
BLANK = r"^[ \t]*$"  # a blank cell: empty in a numeric column (as polars' CSV reader takes it)


def infer_text_schema(head: pl.DataFrame) -> TableSchema:
    """Types for a table read as text, judged on its first rows with the same conversions the
    evaluation applies (``typed_expr``), so that an inferred type never fails values that
    merely look different from what another parser expects. One query a type, over the columns
    no earlier type fits. Blank cells and the ``MISSING_MARKERS`` are missing: a column's type
    comes from its other values, and the markers seen become the schema's ``missingValues``."""
    text = [c.name for c in head.iter_columns() if c.dtype == pl.String]
    markers = list(MISSING_MARKERS[1:])  # empty cells the reader has made null already
    marked = head.select(pl.col(n).is_in(markers).any() for n in text).row(0) if text else ()
    with_markers = [n for n, has in zip(text, marked, strict=True) if has]
    seen: set[str] = set()
    for n in with_markers:
        seen.update(head.get_column(n).filter(head.get_column(n).is_in(markers)).to_list())
    present = head.select(
        pl.when(pl.col(n).str.contains(BLANK) | pl.col(n).is_in(markers))
        .then(None)
        .otherwise(pl.col(n))
        .alias(n)
        for n in text
    )
    blank = dict(zip(text, present.null_count().row(0), strict=True))
    undecided = [n for n in text if blank[n] < head.height]  # a column with some value
    inferred: dict[str, FieldType] = {}
    for t in _TEXT_TYPES:
        if not undecided:
            break
        nulls = present.select(
            typed_expr(FieldSpec(name=n, type=t), pl.col(n), pl.String()).null_count().alias(n)
            for n in undecided
        ).row(0)
        # A type fits when it turns no present value into a null.
        fits = {n for n, count in zip(undecided, nulls, strict=True) if count == blank[n]}
        inferred.update(dict.fromkeys(fits, t))
        undecided = [n for n in undecided if n not in fits]
    return TableSchema(
        fields=tuple(
            FieldSpec(name=c.name, type=inferred.get(c.name) or frictionless_type(c.dtype))
            for c in head.iter_columns()
        ),
        missing_values=missing_values_seen(seen),
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


# --- cross-field rules ------------------------------------------------------------------------

_RULE = re.compile(
    r"^\s*(?P<left>[A-Za-z_][A-Za-z0-9_]*|\"[^\"]+\")\s*(?P<op>>=|<=|==|!=|>|<)\s*"
    r"(?P<right>[A-Za-z_][A-Za-z0-9_]*|\"[^\"]+\"|'[^']*'|-?\d+(?:\.\d+)?)\s*$"
)


# Field types whose values compare with each other in a rule (booleans: equality only).
_ORDER_KIND = {
    "integer": "number",
    "number": "number",
    "year": "number",
    "date": "time",
    "datetime": "time",
    "string": "text",
    "boolean": "bool",
}


def order_kind(spec: FieldSpec, dtype: pl.DataType) -> str | None:
    """What a field's values compare with in a rule; an untyped field compares as text only if
    it was read as text (a Parquet time or duration column does not)."""
    if spec.type == "any":
        return "text" if dtype == pl.String else None
    return _ORDER_KIND.get(spec.type)


@dataclass(frozen=True)
class Rule:
    """``left op right``: left is a field; right is a field, a number or a 'quoted string'."""

    text: str
    left: str
    op: str
    right_field: str | None
    right_literal: float | str | None

    @classmethod
    def parse(cls, text: str, index: int = 0) -> Rule:
        m = _RULE.match(text)
        if m is None:
            raise DeclarationError(
                f"rules[{index}]: {text!r} is not 'field OP field-or-literal' "
                "with OP one of >= <= > < == !="
            )
        left = m["left"].strip('"')
        right = m["right"]
        if right.startswith("'"):
            return cls(text, left, m["op"], None, right[1:-1])
        if right[0].isdigit() or right[0] == "-":
            return cls(text, left, m["op"], None, float(right) if "." in right else int(right))
        return cls(text, left, m["op"], right.strip('"'), None)

    def comparable(self, left: str | None, right: str | None) -> bool:
        """Whether the sides compare, given their ``order_kind`` (``right``: the right field's,
        unused for a literal)."""
        if left is None or (left == "bool" and self.op not in ("==", "!=")):
            return False
        if self.right_field is not None:
            return left == right
        if left in ("number", "bool"):
            return isinstance(self.right_literal, (int, float))
        return isinstance(self.right_literal, str)

    def violated(self, left: pl.Expr, right: pl.Expr) -> pl.Expr:
        """True where both sides are present and the rule does not hold."""
        ops = {
            ">=": left >= right,
            "<=": left <= right,
            ">": left > right,
            "<": left < right,
            "==": left == right,
            "!=": left != right,
        }
        return ops[self.op].not_()


# --- update frequency -------------------------------------------------------------------------

_DCAT_FREQUENCIES = {
    "continuous": timedelta(hours=1),
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
    "biweekly": timedelta(weeks=2),
    "monthly": timedelta(days=30),
    "quarterly": timedelta(days=91),
    "semiannual": timedelta(days=182),
    "annual": timedelta(days=365),
    "yearly": timedelta(days=365),
}
_ISO_DURATION = re.compile(
    r"^P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)


def update_period(frequency: str) -> timedelta | None:
    """The period of a DCAT frequency word or an ISO 8601 duration; None for frequencies that
    promise no period (irregular, never, unknown)."""
    word = frequency.strip().rsplit("/", 1)[-1].lower()
    if word in _DCAT_FREQUENCIES:
        return _DCAT_FREQUENCIES[word]
    m = _ISO_DURATION.match(frequency.strip().upper())
    if m is None or not any(m.groupdict().values()):
        return None
    g = {k: int(v) if v else 0 for k, v in m.groupdict().items()}
    period = timedelta(
        days=g["y"] * 365 + g["mo"] * 30 + g["w"] * 7 + g["d"],
        hours=g["h"],
        minutes=g["mi"],
        seconds=g["s"],
    )
    return period if period > timedelta(0) else None


@dataclass(frozen=True)
class Declared:
    """Everything the supplier declared that the evaluation judges against."""

    schema: TableSchema | None = None
    rules: tuple[Rule, ...] = ()
    update_frequency: str | None = None
    timestamp_field: str | None = None
    # The schema was inferred at upload and never corrected: the report says "inferred".
    schema_inferred: bool = False

    @classmethod
    def parse(
        cls,
        schema: dict[str, Any] | None = None,
        rules: list[str] | None = None,
        update_frequency: str | None = None,
        timestamp_field: str | None = None,
        *,
        schema_inferred: bool = False,
    ) -> Declared:
        rule_list = rules or []
        if len(rule_list) > limits.quality_rules_max:
            raise DeclarationError(f"rules: at most {limits.quality_rules_max}")
        return cls(
            schema=TableSchema.from_frictionless(schema) if schema is not None else None,
            rules=tuple(Rule.parse(r, i) for i, r in enumerate(rule_list)),
            update_frequency=update_frequency,
            timestamp_field=timestamp_field,
            schema_inferred=schema_inferred and schema is not None,
        )

    def to_json(self) -> dict[str, Any]:
        declared: dict[str, Any] = {
            "schema": self.schema.to_frictionless() if self.schema else None,
            "rules": [r.text for r in self.rules],
            "update_frequency": self.update_frequency,
            "timestamp_field": self.timestamp_field,
        }
        if self.schema_inferred:  # only then, so earlier stored declarations read the same
            declared["schema_inferred"] = True
        return declared
