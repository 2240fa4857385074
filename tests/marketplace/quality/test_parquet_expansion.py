"""A Parquet file is compressed: a few kilobytes can declare millions of rows. The evaluation
counts what it declares, not its size on disk: past a bound it reports that it cannot evaluate
the table without reading a row; below it, a file that expands past memory is streamed."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from marketplace import limits
from marketplace.quality import evaluate
from tests.marketplace.quality.defects import AS_OF


def _zeros(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "zeros.parquet"
    pl.select(pl.repeat(0, rows, dtype=pl.Int64).alias("a")).write_parquet(path)
    return path


def test_a_parquet_declaring_more_cells_than_the_bound_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "quality_parquet_cells_max", 1_000_000)
    path = _zeros(tmp_path, 2_000_000)
    assert path.stat().st_size < 64 * 1024  # 16 MB of integers in memory
    report = evaluate(path, fmt="parquet", as_of=AS_OF)
    assert (report.rows, report.columns) == (None, None)
    assert report.issues[0] == (
        "the table cannot be evaluated: the Parquet file declares 2000000 rows of 1 column(s), "
        "more than the 1000000 cells an evaluation reads"
    )


def test_a_parquet_that_expands_past_memory_is_streamed_and_evaluated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 8 MB of cells in a file of a few kilobytes: past a 1 MiB in-memory bound
    monkeypatch.setattr(limits, "quality_in_memory_bytes_max", 1024 * 1024)
    report = evaluate(_zeros(tmp_path, 1_000_000), fmt="parquet", as_of=AS_OF)
    assert (report.rows, report.columns) == (1_000_000, 1)
    completeness = next(d for d in report.dimensions if d.name == "completeness")
    assert completeness.score == 100.0
