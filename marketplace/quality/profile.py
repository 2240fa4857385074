"""Per-column profile: type, null share, distinct count; min, max, mean and quantiles for
numbers; min and max for dates; top values for low-cardinality text; sample values (owner and
operators only).

The aggregates join the evaluation's single query (``aggregates``); ``build`` turns the query's
row into profiles and runs one more small query for the top values of the few low-cardinality
text columns, and reads the first rows for samples.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import polars as pl

from marketplace import limits
from marketplace.quality.report import ColumnProfile, TopValue
from marketplace.quality.schema import FieldSpec, TableSchema

NUMERIC = ("integer", "number", "year")
TEMPORAL = ("date", "datetime")
QUANTILES = {"p25": 0.25, "p50": 0.5, "p75": 0.75}
TUKEY_FENCE = 1.5  # outliers lie beyond Q1 - 1.5 IQR or Q3 + 1.5 IQR


def _sig(value: float) -> float:
    """12 significant digits: streaming sums may differ in the last bits between runs."""
    return float(format(value, ".12g"))


def distinct(raw: pl.Expr, dtype: pl.DataType, *, approximate: bool) -> pl.Expr:
    """Distinct non-null values. Counted over 64-bit hashes (a set of integers, not of
    strings); a miscount needs a hash collision, p < n^2 / 2^65. Approximate (HyperLogLog, about
    1% error, constant memory) for files above ``quality_exact_bytes_max``."""
    values = (raw.cast(pl.String) if dtype.is_nested() else raw).drop_nulls()
    if approximate:
        return values.approx_n_unique()
    return values.hash(seed=0).n_unique()


def aggregates(
    i: int, spec: FieldSpec, typed: pl.Expr, raw_dtype: pl.DataType, table: Any
) -> list[pl.Expr]:
    """The profile's aggregates for column ``i`` (quantiles come from ``numeric_sample``).
    ``table.head`` (the first rows) says which
    text columns may have low cardinality; their value counts are kept only if the whole column
    has at most ``quality_top_values_distinct_max`` distinct values."""
    name = spec.name
    raw = pl.col(name)
    exprs = [distinct(raw, raw_dtype, approximate=table.approximate).alias(f"{i}:distinct")]
    head: pl.DataFrame = table.head
    if spec.type in NUMERIC:
        value = typed.cast(pl.Float64)
        exprs += [
            typed.min().alias(f"{i}:min"),
            typed.max().alias(f"{i}:max"),
            value.mean().alias(f"{i}:mean"),
            value.is_not_null().sum().alias(f"{i}:numeric_values"),
        ]
    elif spec.type in TEMPORAL:
        exprs += [typed.min().alias(f"{i}:min"), typed.max().alias(f"{i}:max")]
    elif raw_dtype in (pl.String, pl.Boolean):
        # Count each value the first rows hold, with one streaming sum per value (polars'
        # value_counts would make the engine read the whole file). The counts are complete when
        # they add up to the column's non-null count; ``build`` checks that.
        seen = head.get_column(name).drop_nulls().cast(pl.String).unique().sort()
        if 0 < seen.len() <= limits.quality_top_values_distinct_max:
            table.candidates[i] = seen.to_list()
            text = raw.cast(pl.String)
            exprs += [
                (text == value).sum().alias(f"{i}:count:{j}")
                for j, value in enumerate(table.candidates[i])
            ]
    return exprs


def numeric_sample(table: Any) -> tuple[pl.DataFrame, int]:
    """Every ``stride``-th value of each numeric column, read in streaming batches.

    Quantiles need sorted values, which polars' streaming engine cannot compute without holding
    the whole column (it falls back to reading the whole file). This pass keeps a systematic
    sample instead, bounded by ``quality_sample_cells_max``: while it fits, the stride is 1 and
    the "sample" is the whole column, so quantiles and outliers are exact; past it the stride
    doubles (keeping rows 0, 2s, 4s, ...), and the report says so.
    """
    numeric = [
        (i, name)
        for i, name in enumerate(list(table.raw_schema)[: table.profiled_columns])
        if (table.judged.field(name) or FieldSpec(name=name)).type in NUMERIC
    ]
    if not numeric:
        return pl.DataFrame(), 1
    columns = [table.typed_cols[name].cast(pl.Float64).alias(str(i)) for i, name in numeric]
    rows_max = max(1, limits.quality_sample_cells_max // len(numeric))
    kept: list[pl.DataFrame] = []
    kept_rows = seen = 0
    stride = 1
    for batch in table.lf.select(columns).collect_batches(engine=table.engine):
        part = batch.gather_every(stride, (-seen) % stride) if stride > 1 else batch
        seen += batch.height
        kept.append(part)
        kept_rows += part.height
        while kept_rows > rows_max:
            merged = pl.concat(kept)
            kept = [merged.gather_every(2)]
            kept_rows = kept[0].height
            stride *= 2
    sample = pl.concat(kept) if kept else pl.DataFrame()
    return sample, stride


def quantiles_and_outliers(sample: pl.DataFrame, stride: int) -> dict[str, Any]:
    """Quartiles and the median of each sampled column, and the values beyond the Tukey fences
    (counted on the sample and scaled by the stride: exact when the stride is 1)."""
    if sample.width == 0:
        return {}
    out: dict[str, Any] = {}
    quartiles = sample.select(
        pl.col(c).quantile(list(QUANTILES.values()), "linear") for c in sample.columns
    ).row(0, named=True)
    for c in sample.columns:
        qs = quartiles[c]
        out[f"{c}:quantiles"] = qs
        if qs and None not in qs:
            q1, _, q3 = qs
            low, high = q1 - TUKEY_FENCE * (q3 - q1), q3 + TUKEY_FENCE * (q3 - q1)
            value = pl.col(c)
            n = sample.select(((value < low) | (value > high)).sum()).item()
            out[f"{c}:outliers"] = int(n) * stride
    out["sample_stride"] = stride
    return out


def _scalar(value: Any) -> float | str | None:
    if value is None:
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else _sig(value)  # NaN has no min or max
    return str(value)


def build(table: Any, stats: dict[str, Any]) -> list[ColumnProfile]:
    """The profiles of the first ``table.profiled_columns`` columns, from the query's row."""
    if not stats:
        return []
    head: pl.DataFrame = table.head
    schema: TableSchema = table.judged
    raw_schema: dict[str, pl.DataType] = table.raw_schema
    approximate: bool = table.approximate
    rows: int = stats["rows"]
    columns = list(raw_schema)[: table.profiled_columns]
    profiles: list[dict[str, Any]] = []
    for i, name in enumerate(columns):
        spec = schema.field(name) or FieldSpec(name=name)
        nulls = int(stats[f"{i}:nulls"])
        distinct = stats.get(f"{i}:distinct")
        p: dict[str, Any] = {
            "name": name,
            "type": spec.type,
            "null_count": nulls,
            "null_share": round(nulls / rows, 6) if rows else 0.0,
            "distinct_count": int(distinct) if distinct is not None else None,
            "distinct_exact": not approximate,
        }
        if f"{i}:min" in stats:
            p["min"] = _scalar(stats[f"{i}:min"])
            p["max"] = _scalar(stats[f"{i}:max"])
        if spec.type in NUMERIC:
            mean = stats.get(f"{i}:mean")
            p["mean"] = _sig(mean) if mean is not None else None
            p["quantiles_exact"] = stats.get("sample_stride", 1) == 1
            qs = stats.get(f"{i}:quantiles")
            p["quantiles"] = (
                {k: _sig(v) for k, v in zip(QUANTILES, qs, strict=True)}
                if qs and None not in qs
                else None
            )
        if i in table.candidates:
            counts = {
                value: int(stats[f"{i}:count:{j}"]) for j, value in enumerate(table.candidates[i])
            }
            if sum(counts.values()) == rows - nulls:  # every value was among the candidates
                p["top_values"] = _top_values(counts)
        profiles.append(p)
    samples = _samples(head, columns)
    for p in profiles:
        p["samples"] = samples.get(p["name"], [])
    return [ColumnProfile.model_validate(p) for p in profiles]


def _top_values(counts: dict[str, int]) -> list[TopValue]:
    """Values held by at least ``quality_top_value_count_min`` rows, most frequent first."""
    ranked = sorted(counts.items(), key=lambda vc: (-vc[1], vc[0]))
    return [
        TopValue(value=value, count=n)
        for value, n in ranked
        if n >= limits.quality_top_value_count_min
    ]


def _samples(head: pl.DataFrame, columns: list[str]) -> dict[str, list[str]]:
    """The first few distinct values of each column, from the head of the file."""
    out: dict[str, list[str]] = {}
    for name in columns:
        seen: list[str] = []
        values = head.get_column(name).drop_nulls().head(200)
        for v in values.cast(pl.String, strict=False).to_list():
            if v is not None and v not in seen:
                seen.append(v[:200])
            if len(seen) >= limits.quality_samples_per_column:
                break
        out[name] = seen
    return out
