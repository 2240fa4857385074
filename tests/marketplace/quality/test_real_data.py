"""Real public data: CSV files that the vega_datasets and palmerpenguins wheels ship (read from
the installed packages' folders; nothing is downloaded), checked against a plain-Python count."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marketplace.quality import evaluate
from tests.marketplace.assets.helpers import Party, create, upload
from tests.marketplace.quality.defects import AS_OF

# Written by hand from the files (R's write.csv writes a missing value as NA), not from our code.
R_MARKERS = {"", "NA"}


def _package_dir(package: str, sub: str) -> Path:
    spec = importlib.util.find_spec(package)  # finds the folder without importing pandas
    assert spec is not None, f"{package} is a dev dependency"
    assert spec.submodule_search_locations is not None
    return Path(next(iter(spec.submodule_search_locations))) / sub


def _data_dir() -> Path:
    return _package_dir("vega_datasets", "_data")


def plain_count(
    path: Path, missing: frozenset[str] = frozenset({""})
) -> tuple[int, dict[str, tuple[int, int]]]:
    """Rows, and per column (nulls, distinct non-null values), with the csv module; a cell is
    null when it is one of ``missing``."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        nulls = [0] * len(header)
        seen: list[set[str]] = [set() for _ in header]
        rows = 0
        for row in reader:
            rows += 1
            for i, value in enumerate(row):
                if value in missing:
                    nulls[i] += 1
                else:
                    seen[i].add(value)
    return rows, {h: (nulls[i], len(seen[i])) for i, h in enumerate(header)}


@pytest.mark.parametrize("name", ["la-riots.csv", "seattle-weather.csv"])
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


# Real exports that write missing values as NA (all three from R): airports (NA in text
# columns, first on row 1,000-odd), the penguins (NA in measurement columns from row 4).
NA_FILES = [
    ("vega_datasets", "_data", "airports.csv"),
    ("palmerpenguins", "data", "penguins.csv"),
    ("palmerpenguins", "data", "penguins-raw.csv"),
]


@pytest.mark.parametrize(("package", "sub", "name"), NA_FILES)
def test_an_uploaded_real_export_counts_its_na_cells_as_missing(
    api: TestClient, supplier: Party, package: str, sub: str, name: str
) -> None:
    path = _package_dir(package, sub) / name
    rows, expected = plain_count(path, frozenset(R_MARKERS))
    asset_id = int(create(api, supplier)["id"])

    r = upload(api, supplier, asset_id, path.read_bytes())

    assert r.status_code == 201, r.text
    assert r.json()["table_schema"]["missingValues"] == ["", "NA"]
    got = api.get(f"/assets/{asset_id}/quality", headers=supplier.headers).json()
    report = got["report"]
    assert report["rows"] == rows
    nulls = {p["name"]: p["null_count"] for p in report["profile"]}
    assert nulls == {name: count for name, (count, _) in expected.items()}
    completeness = next(d for d in report["dimensions"] if d["name"] == "completeness")
    assert completeness["measurements"]["null_cells"] == sum(nulls.values()) > 0
    assert completeness["score"] < 100
    normativity = next(d for d in report["dimensions"] if d["name"] == "normativity")
    assert normativity["measurements"]["cells_nonconforming"] == 0  # NA is no malformed number


def test_the_penguins_measurements_are_numbers_and_their_na_cells_missing() -> None:
    path = _package_dir("palmerpenguins", "data") / "penguins.csv"
    rows, expected = plain_count(path, frozenset(R_MARKERS))

    report = evaluate(path, fmt="csv", as_of=AS_OF)

    assert report.rows == rows
    assert report.judged_schema is not None
    assert report.judged_schema["missingValues"] == ["", "NA"]
    types = {p.name: p.type for p in report.profile}
    assert types["bill_length_mm"] == "number"
    assert types["body_mass_g"] == "integer"
    assert {p.name: (p.null_count, p.distinct_count) for p in report.profile} == expected
