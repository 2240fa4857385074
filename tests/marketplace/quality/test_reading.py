"""How the table is read: numeric columns parsed by the CSV reader when every value parses, as
text otherwise, with the same judgement either way; and how a streamed file is profiled (a
hashed sample for quantiles, a sketch for distinct counts)."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from marketplace import limits
from marketplace.quality import Declared, QualityReport, evaluate
from marketplace.quality.report import ColumnProfile
from tests.marketplace.pages.reports.render import render_macro
from tests.marketplace.quality.defects import AS_OF

SCHEMA = {
    "fields": [
        {"name": "v", "type": "integer"},
        {"name": "w", "type": "number"},
        {"name": "tag", "type": "string"},
    ]
}
DECLARED = Declared.parse(schema=SCHEMA)

# Cells the CSV reader parses as integers (or takes for empty), each spelled several ways.
INTEGER_CELLS = ["7", "007", "+7", " 7", "\t7", "-0", "0", "42", "-42", "", " ", "\t"]


def check(path: Path, declared: Declared = DECLARED) -> QualityReport:
    return evaluate(path, fmt="csv", declared=declared, as_of=AS_OF)


def column(report: QualityReport, name: str) -> ColumnProfile:
    return next(p for p in report.profile if p.name == name)


def write(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("v,w,tag\n" + "".join(f'"{v}","{w}",{t}\n' for v, w, t in rows))
    return path


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(st.sampled_from(INTEGER_CELLS), min_size=1, max_size=30))
def test_a_column_is_judged_the_same_whether_the_reader_parses_it_or_it_is_read_as_text(
    tmp_path: Path, cells: list[str]
) -> None:
    rows = [(c, "1.5", "x") for c in cells]
    parsed = check(write(tmp_path / "parsed.csv", rows))
    # One value that does not parse, in another column, makes the whole file read as text.
    as_text = check(write(tmp_path / "text.csv", [*rows, ("", "oops", "x")]))

    assert as_text.dimension("normativity").measurements["nonconforming:w"] == 1
    assert parsed.dimension("normativity").measurements["cells_nonconforming"] == 0
    a, b = column(parsed, "v"), column(as_text, "v")
    assert b.null_count == a.null_count + 1  # the extra row's empty cell
    assert (b.distinct_count, b.min, b.max, b.mean, b.quantiles) == (
        a.distinct_count,
        a.min,
        a.max,
        a.mean,
        a.quantiles,
    )
    blanks = sum(1 for c in cells if not c.strip())
    assert a.null_count == blanks  # a blank numeric cell is missing, not malformed
    values = {int(c) for c in cells if c.strip()}
    assert a.distinct_count == len(values)  # "007", "+7" and " 7" are the number 7
    consistency = ("duplicate_rows",)
    assert {k: parsed.dimension("consistency").measurements[k] for k in consistency} == {
        k: as_text.dimension("consistency").measurements[k] for k in consistency
    }
    expected_duplicates = len(rows) - len({int(c) if c.strip() else None for c in cells})
    assert parsed.dimension("consistency").measurements["duplicate_rows"] == expected_duplicates


@pytest.mark.parametrize("missing", [None, ["", "NA"]])
def test_a_quoted_empty_cell_is_missing_like_an_empty_one(
    tmp_path: Path, missing: list[str] | None
) -> None:
    path = tmp_path / "t.csv"
    path.write_text('v,w,tag\n1,1.5,a\n"","",""\n,,\n2,2.5,""\n3,NA,NA\n')
    schema = SCHEMA if missing is None else {**SCHEMA, "missingValues": missing}
    report = check(path, Declared.parse(schema=schema))

    nulls = {p.name: p.null_count for p in report.profile}
    if missing is None:  # "NA" is a value: not a number in w, a tag in tag
        assert nulls == {"v": 2, "w": 2, "tag": 3}
        assert report.dimension("normativity").measurements["nonconforming:w"] == 1
    else:
        assert nulls == {"v": 2, "w": 3, "tag": 4}
        assert report.dimension("normativity").measurements["cells_nonconforming"] == 0


def test_values_that_do_not_parse_are_each_counted(tmp_path: Path) -> None:
    rows = [("1", "2.5", "a"), ("x1", "2.5", "a"), ("3", "NaN", "a"), ("4 ", "1e3", "a")]
    report = check(write(tmp_path / "t.csv", rows))

    normativity = report.dimension("normativity").measurements
    assert normativity["nonconforming:v"] == 1  # "x1"; "4 " is 4 with a trailing space
    assert "nonconforming:w" not in normativity
    assert column(report, "v").max == 4


def test_an_inferred_schema_uses_the_evaluations_own_conversions(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "i,n,b,d,t,slash,s\n"
        "007,1.5,true,2024-01-02,2024-01-02T03:04:05Z,2024/01/02,a\n"
        " 8,2,false,2024-01-03,2024-01-03 00:00:00,2024/01/03,b\n"
        ",,,,,,\n"
    )
    report = evaluate(path, fmt="csv", as_of=AS_OF)

    types = {p.name: p.type for p in report.profile}
    assert types == {
        "i": "integer",
        "n": "number",
        "b": "boolean",
        "d": "date",
        "t": "datetime",
        "slash": "string",  # not the ISO form the date conversion accepts
        "s": "string",
    }
    assert report.dimension("normativity").measurements["cells_nonconforming"] == 0


# Cells for the head test: numbers, dates, text, blanks; notes hold quotes, commas and newlines.
HEAD_CELLS = ["1", "2.5", "x", "2024-01-02", ""]
NOTES = st.text(alphabet='ab,"\n\r ', max_size=6)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(st.sampled_from(HEAD_CELLS), NOTES), min_size=0, max_size=8),
    cut_row=st.integers(min_value=0, max_value=5),  # the head is the first 4 rows
    cut_offset=st.integers(min_value=0, max_value=8),
)
@example(  # a cut inside the 4th row's date would leave "202", and the column an integer
    rows=[("1", "a"), ("2", "b"), ("3", "c"), ("2024-01-02", "d"), ("5", "e")],
    cut_row=3,
    cut_offset=3,
)
def test_the_first_rows_do_not_depend_on_where_the_prefix_read_for_them_ends(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[tuple[str, str]],
    cut_row: int,
    cut_offset: int,
) -> None:
    """Inference, top-value candidates and samples come from the first rows, parsed from the
    file's first bytes: a cut anywhere, inside a value or a quoted field that spans lines, must
    change nothing."""
    monkeypatch.setattr(limits, "quality_infer_rows", 4)
    monkeypatch.setattr(limits, "quality_head_bytes_max", 1 << 30)
    lines = ["n,note\n"] + [f'{n},"{note.replace(chr(34), chr(34) * 2)}"\n' for n, note in rows]
    path = tmp_path / "t.csv"
    path.write_text("".join(lines), newline="")
    whole = evaluate(path, fmt="csv", as_of=AS_OF)

    cut_bytes = len("".join(lines[: cut_row + 1]).encode()) + cut_offset  # inside row cut_row
    monkeypatch.setattr(limits, "quality_head_bytes_max", max(1, cut_bytes))
    assert evaluate(path, fmt="csv", as_of=AS_OF) == whole


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a small file take the large-file path: streamed, sampled, sketched."""
    monkeypatch.setattr(limits, "quality_in_memory_bytes_max", 1024)
    monkeypatch.setattr(limits, "quality_exact_bytes_max", 1024)
    # Two numeric columns, at most ~100,000 rows in the test file: a stride of 8, ~2,500 rows.
    monkeypatch.setattr(limits, "quality_sample_cells_max", 40_000)


ROWS = 20_000


def amount(i: int) -> int:
    """0..999, and every 97th row an outlier above 5000."""
    return (i * 7919) % 1000 + (5000 if i % 97 == 0 else 0)


def write_numbers(path: Path) -> Path:
    lines = ["id,amount,kind,label"]
    lines += [f"{i},{amount(i)},k{i % 3},l{i % 400}" for i in range(ROWS)]
    path.write_text("\n".join(lines) + "\n")
    return path


def numbers_schema(*, id_constraints: dict[str, object] | None = None) -> Declared:
    return Declared.parse(
        schema={
            "fields": [
                {"name": "id", "type": "integer", "constraints": id_constraints or {}},
                {"name": "amount", "type": "integer"},
                {"name": "kind", "type": "string"},
                {"name": "label", "type": "string"},
            ]
        }
    )


@pytest.mark.usefixtures("streamed")
def test_a_streamed_file_gets_quantiles_from_a_hashed_sample(tmp_path: Path) -> None:
    path = write_numbers(tmp_path / "t.csv")
    declared = numbers_schema()
    report = check(path, declared)
    again = check(path, declared)

    profile = column(report, "amount")
    assert not profile.quantiles_exact
    assert report.report_hash() == again.report_hash()  # the sample does not depend on timing
    values = sorted(amount(i) for i in range(ROWS))
    exact = statistics.quantiles(values, n=4, method="inclusive")
    assert profile.quantiles is not None
    for key, truth in zip(("p25", "p50", "p75"), exact, strict=True):
        # ~2,500 sampled values: a quartile's rank is off by ~0.9%, ~9 on this 0..1000 spread
        assert profile.quantiles[key] == pytest.approx(truth, abs=40)
    accuracy = report.dimension("accuracy").measurements
    assert accuracy["outliers_sample_stride"] > 1
    true_outliers = sum(1 for i in range(ROWS) if i % 97 == 0)  # the 5000+ values
    assert accuracy["outliers_tukey"] == pytest.approx(true_outliers, rel=0.5)  # ~26 sampled
    assert profile.min == 0
    assert profile.max == max(values)  # min, max and mean are over every value
    assert profile.mean == pytest.approx(sum(values) / ROWS)


@pytest.mark.usefixtures("streamed")
def test_a_streamed_file_counts_distincts_exactly_where_it_can_and_says_where_it_cannot(
    tmp_path: Path,
) -> None:
    report = check(
        write_numbers(tmp_path / "t.csv"), numbers_schema(id_constraints={"unique": True})
    )

    profile = {p.name: p for p in report.profile}
    assert (profile["id"].distinct_count, profile["id"].distinct_exact) == (ROWS, True)  # unique
    assert (profile["kind"].distinct_count, profile["kind"].distinct_exact) == (
        3,
        True,
    )  # top values
    label = profile["label"]
    assert not label.distinct_exact
    assert label.distinct_count == pytest.approx(400, rel=0.25)  # sketch: ~6.5% standard error
    rows_html = render_macro("profile_table", report).split("<tr>")
    assert f'<td class="num">≈{label.distinct_count:,}</td>' in next(
        r for r in rows_html if ">label<" in r
    )
    assert f'<td class="num">{ROWS:,}</td>' in next(r for r in rows_html if ">id<" in r)


@pytest.mark.usefixtures("streamed")
def test_a_field_of_a_composite_key_does_not_take_the_keys_distinct_count(tmp_path: Path) -> None:
    declared = Declared.parse(
        schema={
            "fields": [
                {"name": "id", "type": "integer"},
                {"name": "amount", "type": "integer"},
                {"name": "kind", "type": "string", "constraints": {"unique": True}},
                {"name": "label", "type": "string"},
            ],
            "primaryKey": ["kind", "label"],
        }
    )
    report = check(write_numbers(tmp_path / "t.csv"), declared)

    kind = column(report, "kind")
    assert (kind.distinct_count, kind.distinct_exact) == (3, True)  # not the key's 1,200
    assert report.dimension("consistency").measurements["duplicate_keys"] == ROWS - 1200
