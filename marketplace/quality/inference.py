"""Inferring a Table Schema for a table read as text (a CSV), from its first rows, with the
same conversions the evaluation applies. Pure: takes the rows, returns the schema.
"""

from __future__ import annotations

import polars as pl

from marketplace.quality.table_schema import (
    MISSING_MARKERS,
    FieldSpec,
    FieldType,
    TableSchema,
    frictionless_type,
    missing_values_seen,
    typed_expr,
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
