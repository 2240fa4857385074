"""The six dimensions' scores from what the evaluation measured: the byte facts, the table
query's aggregates (``stats``) and the declarations. Pure: no file, no thread, no clock, no
database; the moment timeliness is judged at is an argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from marketplace.quality import profile as profiling
from marketplace.quality.declared import Declared, update_period
from marketplace.quality.report import DimensionResult, Format, ratio_score
from marketplace.quality.scan import ByteFacts
from marketplace.quality.table_schema import FieldSpec, TableSchema

# A structural defect (ragged rows, invalid UTF-8, lone CR line ends) caps normativity here.
STRUCTURAL_DEFECT_CAP = 50.0
# Timeliness falls linearly from 100 at one update period of age to 0 at this many more.
STALE_PERIODS_TO_ZERO = 3


@dataclass(frozen=True)
class TableShape:
    """What the scores need of the table that was read: its columns in order, the schema they
    were judged against and where it came from, and whether rows with extra fields were cut."""

    columns: tuple[str, ...]
    judged: TableSchema
    schema_source: str
    ragged: bool


def structure_notes(fmt: Format, facts: ByteFacts) -> list[str]:
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


def _structural_defects(fmt: Format, facts: ByteFacts, table: TableShape) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if table.ragged:
        out["ragged_rows"] = True
    if fmt != "parquet":
        if facts.invalid_utf8_offset is not None:
            out["invalid_utf8_first_offset"] = facts.invalid_utf8_offset
        if facts.cr_only and (facts.lf_only or facts.crlf):
            out["lone_cr_line_ends"] = facts.cr_only
    return out


def timestamp_field(schema: TableSchema, declared: Declared) -> FieldSpec | None:
    """The date or datetime field that holds the record time (the declared one, if it is)."""
    if declared.timestamp_field is not None:
        field = schema.field(declared.timestamp_field)
        return field if field is not None and field.type in profiling.TEMPORAL else None
    return next((f for f in schema.fields if f.type in profiling.TEMPORAL), None)


def _not_judged(name: Any, reason: str, **measurements: Any) -> DimensionResult:
    return DimensionResult(name=name, judged=False, reason=reason, measurements=measurements)


def dimensions(
    fmt: Format,
    table: TableShape | None,
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


def _columns(table: TableShape) -> list[tuple[int, str, FieldSpec]]:
    return [
        (i, name, table.judged.field(name) or FieldSpec(name=name))
        for i, name in enumerate(table.columns)
    ]


def _normativity(
    fmt: Format, table: TableShape, stats: dict[str, Any], facts: ByteFacts, rows: int
) -> DimensionResult:
    declared_names = {f.name for f in table.judged.fields}
    undeclared = [n for n in table.columns if n not in declared_names]
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


def _completeness(table: TableShape, stats: dict[str, Any], rows: int) -> DimensionResult:
    missing_fields = [f.name for f in table.judged.fields if f.name not in table.columns]
    nulls = sum(int(stats[f"{i}:nulls"]) for i, _, _ in _columns(table))
    required_nulls = sum(int(stats[f"{i}:nulls"]) for i, _, s in _columns(table) if s.required)
    cells = rows * (len(table.columns) + len(missing_fields))
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


def _accuracy(table: TableShape, stats: dict[str, Any], rows: int) -> DimensionResult:
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
    table: TableShape, stats: dict[str, Any], declared: Declared, rows: int
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
    table: TableShape, stats: dict[str, Any], declared: Declared, as_of: datetime
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
