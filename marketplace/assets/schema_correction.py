"""Checking a Table Schema a supplier sends to correct the inferred one (Frictionless Table
Schema: the same format the inference in ``schema_infer`` emits), and normalising it so that it
hashes exactly as the client sees it."""

from __future__ import annotations

import json
from typing import Any, Final

from ledger.canonical import canonical_json
from marketplace import limits
from marketplace.assets.schema_infer import MISSING_VALUES, TabularError
from marketplace.quality.errors import DeclarationError
from marketplace.quality.table_schema import TableSchema

TABLE_SCHEMA_TYPES: Final = frozenset(
    {
        "string", "number", "integer", "boolean", "object", "array", "date", "time",
        "datetime", "year", "yearmonth", "duration", "geopoint", "geojson", "any",
    }
)  # fmt: skip


def _check_field(i: int, field: Any, names: set[str]) -> None:
    if not isinstance(field, dict):
        raise TabularError(f"field {i} is not an object")
    name, kind = field.get("name"), field.get("type", "string")
    if not isinstance(name, str) or not name or len(name) > 256:
        raise TabularError(f"field {i} needs a name of 1 to 256 characters")
    if name in names:
        raise TabularError(f"field name {name!r} is repeated")
    names.add(name)
    if kind not in TABLE_SCHEMA_TYPES:
        raise TabularError(f"field {name!r} has an unknown Table Schema type {kind!r}")
    for key, value in field.items():
        if key not in {"name", "type", "format", "title", "description", "constraints"}:
            raise TabularError(f"field {name!r} has an unknown property {key!r}")
        if key in {"format", "title", "description"} and (
            not isinstance(value, str) or len(value) > limits.asset_text_length_max
        ):
            raise TabularError(f"field {name!r}: {key} must be a short string")


def validate_table_schema(schema: Any, column_count: int | None) -> dict[str, Any]:
    """Check a supplier's corrected Table Schema; return it normalised. Raises TabularError."""
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        raise TabularError("a Table Schema is an object with a 'fields' list")
    allowed = {"fields", "missingValues", "primaryKey", "foreignKeys"}
    extra = set(schema) - allowed
    if extra:
        raise TabularError(f"unknown Table Schema properties: {', '.join(sorted(extra))}")
    fields = schema["fields"]
    if not fields or len(fields) > limits.schema_fields_max:
        raise TabularError(f"a Table Schema has 1 to {limits.schema_fields_max} fields")
    if column_count is not None and len(fields) != column_count:
        raise TabularError(f"the content has {column_count} columns; the schema has {len(fields)}")
    names: set[str] = set()
    for i, field in enumerate(fields):
        _check_field(i, field, names)
    missing = schema.get("missingValues", MISSING_VALUES)
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        raise TabularError("missingValues must be a list of strings")
    # Normalise through JSON so that the stored schema hashes exactly as the client sees it.
    normal: dict[str, Any] = json.loads(json.dumps(schema))
    normal.setdefault("missingValues", list(MISSING_VALUES))
    try:
        canonical_json(normal)
    except ValueError as exc:
        raise TabularError(f"the schema cannot be canonicalised: {exc}") from exc
    try:  # the quality evaluation judges the content against it: it must parse there too
        TableSchema.from_frictionless(normal)
    except DeclarationError as exc:
        raise TabularError(str(exc)) from exc
    return normal
