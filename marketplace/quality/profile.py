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
from marketplace.quality.table_schema import FieldSpec, TableSchema

NUMERIC = ("integer", "number", "year")
TEMPORAL = ("date", "datetime")
QUANTILES = {"p25": 0.25, "p50": 0.5, "p75": 0.75}
TUKEY_FENCE = 1.5  # outliers lie beyond Q1 - 1.5 IQR or Q3 + 1.5 IQR


def _sig(value: float) -> float:
    """12 significant digits: streaming sums may differ in the last bits between runs."""
    return float(format(value, ".12g"))


def distinct(hashed: pl.Expr, raw: pl.Expr, *, approximate: bool) -> pl.Expr:
    """Distinct non-null values, counted over the values' 64-bit hashes (a miscount needs a
    hash collision, p < n^2 / 2^65); a null hashes to one more value, taken off. Above
    ``quality_exact_bytes_max`` they come from polars' streaming sketch (HyperLogLog with 256
    registers: about 6.5 % standard error, constant memory)."""
    count = hashed.approx_n_unique() if approximate else hashed.n_unique()
    return count.cast(pl.Int64) - raw.is_null().any().cast(pl.Int64)


def aggregates(
    i: int, spec: FieldSpec, typed: pl.Expr, raw_dtype: pl.DataType, table: Any
) -> list[pl.Expr]:
    """The profile's aggregates for column ``i``. ``table.head`` (the first rows) says which
    text columns may have low cardinality; their value counts are kept only if the whole column
    has at most ``quality_top_values_distinct_max`` distinct values."""
    name = spec.name
    raw = pl.col(name)
    exprs: list[pl.Expr] = []
    if not (table.approximate and _exact_distinct_key(i, spec, table.judged)):
        exprs.append(
            distinct(table.hash_cols[name], raw, approximate=table.approximate).alias(
                f"{i}:distinct"
            )
        )
    head: pl.DataFrame = table.head
    if spec.type in NUMERIC:
        number = typed.cast(pl.Float64)
        exprs += [
            typed.min().alias(f"{i}:min"),
            typed.max().alias(f"{i}:max"),
            number.mean().alias(f"{i}:mean"),
        ]
        if not typed.meta.eq(raw):  # else it is the column's non-null count
            exprs.append(typed.is_not_null().sum().alias(f"{i}:numeric_values"))
    elif spec.type in TEMPORAL:
        exprs += [typed.min().alias(f"{i}:min"), typed.max().alias(f"{i}:max")]
    elif raw_dtype in (pl.String, pl.Boolean):
        # Count each value the first rows hold, with one streaming sum per value (polars'
        # value_counts would make the engine read the whole file). The counts are complete when
        # they add up to the column's non-null count; ``build`` checks that.
        seen = head.get_column(name).drop_nulls().cast(pl.String).unique().sort()
        if 0 < seen.len() <= limits.quality_top_values_distinct_max:
            table.candidates[i] = seen.to_list()
            # A string column's values are compared by their hashes (integers, not text).
            if raw_dtype == pl.String:
                column, values = table.hash_cols[name], seen.hash(seed=i)
            else:
                column, values = raw.cast(pl.String), seen
            exprs += [
                (column == value).sum().alias(f"{i}:count:{j}") for j, value in enumerate(values)
            ]
    return exprs


def _exact_distinct_key(i: int, spec: FieldSpec, schema: TableSchema) -> str | None:
    """The consistency check's exact distinct count of this field, if there is one: a one-field
    primary key's, or a unique field's outside the key."""
    if schema.primary_key == (spec.name,):
        return "pk_distinct"
    if spec.unique and spec.name not in schema.primary_key:
        return f"{i}:unique_distinct"
    return None


def _distinct(
    i: int, spec: FieldSpec, table: Any, stats: dict[str, Any]
) -> tuple[int | None, bool]:
    """The distinct count and whether it is exact: the consistency checks' exact counts, or
    complete top-value counts, stand in for the sketch's estimate."""
    if not table.approximate:
        return stats.get(f"{i}:distinct"), True
    key = _exact_distinct_key(i, spec, table.judged)
    if key is not None:
        return stats[key], True
    counts = _candidate_counts(i, table, stats)
    if counts is not None:
        return sum(1 for n in counts.values() if n), True
    return stats.get(f"{i}:distinct"), False


def _candidate_counts(i: int, table: Any, stats: dict[str, Any]) -> dict[str, int] | None:
    """The counts of the low-cardinality candidates, if they cover every non-null value."""
    if i not in table.candidates:
        return None
    counts = {value: int(stats[f"{i}:count:{j}"]) for j, value in enumerate(table.candidates[i])}
    if sum(counts.values()) != stats["rows"] - int(stats[f"{i}:nulls"]):
        return None  # some value is not among the candidates
    return counts


def sample_stride(rows_max: int, numeric_columns: int) -> int:
    """The numeric sample of a streamed file keeps the rows whose hash is a multiple of this
    power of two: the smallest that keeps ``rows_max`` rows of the numeric columns within
    ``quality_sample_cells_max`` values (1: every row, so quantiles and outliers are exact).

    Quantiles need sorted values, which polars' streaming engine cannot compute without holding
    the whole column. Taking the sample inside the table query keeps the file to one parse; the
    stride is fixed before the query from the most rows the file can hold, so the sample's size
    is bounded whatever the file turns out to contain.
    """
    fits = max(1, limits.quality_sample_cells_max // max(1, numeric_columns))
    stride = 1
    while rows_max > fits * stride:
        stride *= 2
    return stride


class NumericSample:
    """The sampled rows' numeric values, kept as the engine's batches pass through a streamable
    map: aggregating them into lists inside the query (``implode``) would make polars hold every
    column of the file instead.

    ``columns`` maps a column's index to its typed expression; ``mask`` names the boolean column
    that chooses the rows (None: every row). Batches may come from several threads at once;
    ``list.append`` is atomic, and the order they come in does not matter to quantiles.
    """

    def __init__(self, columns: dict[int, pl.Expr], mask: str | None) -> None:
        chosen = [expr if mask is None else expr.filter(pl.col(mask)) for expr in columns.values()]
        self._exprs = [
            e.cast(pl.Float64).alias(str(i)) for i, e in zip(columns, chosen, strict=True)
        ]
        self._kept: list[pl.DataFrame] = []

    def __call__(self, batch: pl.DataFrame) -> pl.DataFrame:
        self._kept.append(batch.select(self._exprs))
        return batch

    def columns(self) -> dict[int, pl.Series]:
        if not self._kept:
            return {}
        frame = pl.concat(self._kept, rechunk=True)  # quantiles of a chunked column sort it
        # Quantiles and fences of the finite values: NaN sorts above infinity in polars.
        return {
            int(c): frame.get_column(c).filter(frame.get_column(c).is_finite())
            for c in frame.columns
        }


def quantiles_and_outliers(samples: dict[int, pl.Series], stats: dict[str, Any]) -> None:
    """Add the quartiles and median of each numeric column's sample to ``stats``, and the values
    beyond the Tukey fences: counted on the sample and scaled up by the share of the column's
    values it holds (exact when the stride is 1)."""
    for i, sample in samples.items():
        stats.setdefault(f"{i}:numeric_values", stats["rows"] - stats[f"{i}:nulls"])
        found = [sample.quantile(q, "linear") for q in QUANTILES.values()]
        qs = [q for q in found if q is not None]
        if len(qs) < len(found):  # an empty sample: no value in the column
            continue
        stats[f"{i}:quantiles"] = qs
        q1, _, q3 = qs
        low, high = q1 - TUKEY_FENCE * (q3 - q1), q3 + TUKEY_FENCE * (q3 - q1)
        beyond = int(((sample < low) | (sample > high)).sum())
        stats[f"{i}:outliers"] = round(beyond * stats[f"{i}:numeric_values"] / sample.len())


def _finite(value: float | None) -> float | None:
    """A profile holds finite numbers only: NaN has no order, and JSON has neither."""
    return _sig(value) if value is not None and math.isfinite(value) else None


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
        return _finite(value)
    return str(value)


def build(table: Any, stats: dict[str, Any]) -> list[ColumnProfile]:
    """The profiles of the first ``table.profiled_columns`` columns, from the query's row."""
    if not stats:
        return []
    head: pl.DataFrame = table.head
    schema: TableSchema = table.judged
    raw_schema: dict[str, pl.DataType] = table.raw_schema
    rows: int = stats["rows"]
    columns = list(raw_schema)[: table.profiled_columns]
    profiles: list[dict[str, Any]] = []
    for i, name in enumerate(columns):
        spec = schema.field(name) or FieldSpec(name=name)
        nulls = int(stats[f"{i}:nulls"])
        distinct, exact = _distinct(i, spec, table, stats)
        p: dict[str, Any] = {
            "name": name,
            "type": spec.type,
            "null_count": nulls,
            "null_share": round(nulls / rows, 6) if rows else 0.0,
            "distinct_count": int(distinct) if distinct is not None else None,
            "distinct_exact": exact,
        }
        if f"{i}:min" in stats:
            p["min"] = _scalar(stats[f"{i}:min"])
            p["max"] = _scalar(stats[f"{i}:max"])
        if spec.type in NUMERIC:
            mean = stats.get(f"{i}:mean")
            p["mean"] = _finite(mean)
            p["quantiles_exact"] = stats.get("sample_stride", 1) == 1
            qs = stats.get(f"{i}:quantiles")
            p["quantiles"] = (
                {k: _sig(v) for k, v in zip(QUANTILES, qs, strict=True)}
                if qs and None not in qs
                else None
            )
        counts = _candidate_counts(i, table, stats)
        if counts is not None:
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
        try:
            texts = values.cast(pl.String, strict=False).to_list()
        except pl.exceptions.InvalidOperationError:  # durations, lists: no cast to text
            texts = [str(v) for v in values.to_list()]
        for v in texts:
            if v is not None and v not in seen:
                seen.append(v[:200])
            if len(seen) >= limits.quality_samples_per_column:
                break
        out[name] = seen
    return out
