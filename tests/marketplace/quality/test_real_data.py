"""Real public data: CSV files that the vega_datasets wheel ships (read from the installed
package's folder; nothing is downloaded), checked against a plain-Python count."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from marketplace.quality import evaluate
from tests.marketplace.quality.defects import AS_OF


def _data_dir() -> Path:
    spec = importlib.util.find_spec("vega_datasets")  # finds the folder without importing pandas
    assert spec is not None, "vega_datasets is a dev dependency"
    assert spec.submodule_search_locations is not None
    return Path(next(iter(spec.submodule_search_locations))) / "_data"


def plain_count(path: Path) -> tuple[int, dict[str, tuple[int, int]]]:
    """Rows, and per column (nulls, distinct non-null values), with the csv module."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        nulls = [0] * len(header)
        seen: list[set[str]] = [set() for _ in header]
        rows = 0
        for row in reader:
            rows += 1
            for i, value in enumerate(row):
                if value == "":
                    nulls[i] += 1
                else:
                    seen[i].add(value)
    return rows, {h: (nulls[i], len(seen[i])) for i, h in enumerate(header)}


@pytest.mark.parametrize("name", ["airports.csv", "la-riots.csv", "seattle-weather.csv"])
def test_nulls_and_distincts_match_an_independent_plain_python_count(name: str) -> None:
    path = _data_dir() / name
    rows, expected = plain_count(path)

    report = evaluate(path, fmt="csv", as_of=AS_OF)

    assert report.rows == rows
    measured = {p.name: (p.null_count, p.distinct_count) for p in report.profile}
    assert measured == expected
    assert all(p.distinct_exact for p in report.profile)
    assert report.dimension("accessibility").score == 100


def test_a_real_file_with_a_missing_value_loses_completeness() -> None:
    report = evaluate(_data_dir() / "la-riots.csv", fmt="csv", as_of=AS_OF)

    completeness = report.dimension("completeness")
    assert completeness.measurements["null_cells"] == 1
    assert completeness.score is not None
    assert 99 < completeness.score < 100
