"""Every aggregate the dimensions and the profile need, as one select over the table's lazy
query, and collecting it: one pass over the file.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from marketplace.quality import profile as profiling
from marketplace.quality.declared import Declared, order_kind
from marketplace.quality.query import Table, row_hash_of
from marketplace.quality.scoring import timestamp_field
from marketplace.quality.table_schema import FieldSpec, format_violation, literal_for


def collect(table: Table, declared: Declared) -> dict[str, Any]:
    out = table.lf.select(plan(table, declared)).collect(engine=table.engine)
    assert out.height == 1
    stats = out.row(0, named=True)
    profiling.quantiles_and_outliers(table.sample.columns(), stats)
    stats["sample_stride"] = table.stride
    for i, name in enumerate(table.raw_schema):
        if name in table.parsed:
            stats.setdefault(f"{i}:bad", 0)  # the reader parsed every value as its type
    return stats


def plan(table: Table, declared: Declared) -> list[pl.Expr]:
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


def consistency_exprs(table: Table, declared: Declared) -> list[pl.Expr]:
    schema = table.judged
    typed_cols = table.typed_cols
    # Rows are compared by a 64-bit hash of all their fields: one set of integers instead
    # of a set of whole rows. A false duplicate needs a hash collision (p < n^2 / 2^65).
    exprs: list[pl.Expr] = [pl.col(table.row_hash).n_unique().alias("distinct_rows")]
    pk = [k for k in schema.primary_key if k in table.raw_schema]
    if pk and len(pk) == len(schema.primary_key):
        key = row_hash_of([table.hash_cols[k] for k in pk])
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
