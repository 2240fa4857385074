from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import polars as pl
import pytest

from marketplace.quality import Declared, QualityReport, evaluate
from tests.marketplace.quality.defects import (
    AS_OF,
    DUPLICATE_KEYS,
    FREQUENCY,
    NULL_ROWS,
    OUT_OF_RANGE,
    ROWS,
    RULES,
    SCHEMA,
    STALE_NEWEST,
    write_table,
)

DECLARED = Declared.parse(
    schema=SCHEMA, rules=RULES, update_frequency=FREQUENCY, timestamp_field="updated"
)


def check(path: Path, declared: Declared = DECLARED, **kw: object) -> QualityReport:
    return evaluate(path, fmt="csv", declared=declared, as_of=AS_OF, **kw)  # type: ignore[arg-type]


def test_each_known_defect_is_measured_exactly(tmp_path: Path) -> None:
    report = check(write_table(tmp_path / "t.csv"))

    assert report.rows == ROWS + DUPLICATE_KEYS
    completeness = report.dimension("completeness").measurements
    assert completeness["null_cells"] == NULL_ROWS
    assert completeness["nulls:name"] == NULL_ROWS
    assert report.dimension("accuracy").measurements["values_out_of_range"] == OUT_OF_RANGE
    consistency = report.dimension("consistency").measurements
    assert consistency["duplicate_keys"] == DUPLICATE_KEYS
    assert consistency["duplicate_rows"] == 0
    assert consistency["rule:end_date >= start_date"] == 0
    timeliness = report.dimension("timeliness").measurements
    assert timeliness["newest_record"] == f"{STALE_NEWEST.isoformat()}T00:00:00+00:00"
    newest = datetime(STALE_NEWEST.year, STALE_NEWEST.month, STALE_NEWEST.day, tzinfo=UTC)
    assert timeliness["age_s"] == int((AS_OF - newest).total_seconds())
    name = next(p for p in report.profile if p.name == "name")
    assert name.null_count == NULL_ROWS
    assert name.null_share == pytest.approx(NULL_ROWS / (ROWS + DUPLICATE_KEYS), abs=1e-6)


@pytest.mark.parametrize(
    ("defect", "dimension"),
    [
        ("nulls", "completeness"),
        ("duplicate_keys", "consistency"),
        ("out_of_range", "accuracy"),
        ("stale", "timeliness"),
    ],
)
def test_removing_a_defect_raises_its_dimension_and_the_overall_score(
    tmp_path: Path, defect: str, dimension: str
) -> None:
    with_defect = check(write_table(tmp_path / "a.csv"))
    without = check(write_table(tmp_path / "b.csv", **{defect: False}))  # type: ignore[arg-type]

    before = with_defect.dimension(dimension).score  # type: ignore[arg-type]
    after = without.dimension(dimension).score  # type: ignore[arg-type]
    assert before is not None
    assert after is not None
    assert after > before
    assert after == 100
    assert without.overall is not None
    assert with_defect.overall is not None
    assert without.overall > with_defect.overall


def test_a_clean_file_scores_100_on_every_dimension_it_can_be_judged_on(tmp_path: Path) -> None:
    clean = write_table(
        tmp_path / "clean.csv", nulls=False, duplicate_keys=False, out_of_range=False, stale=False
    )
    report = check(clean)

    assert all(d.judged for d in report.dimensions)
    assert {d.name: d.score for d in report.dimensions} == dict.fromkeys(
        (
            "normativity",
            "completeness",
            "accuracy",
            "consistency",
            "timeliness",
            "accessibility",
        ),
        100.0,
    )
    assert report.overall == 100.0
    assert report.issues == []


def test_without_ranges_or_frequency_those_dimensions_are_not_judged_with_the_reason(
    tmp_path: Path,
) -> None:
    report = evaluate(write_table(tmp_path / "t.csv"), fmt="csv", as_of=AS_OF)

    accuracy = report.dimension("accuracy")
    timeliness = report.dimension("timeliness")
    assert not accuracy.judged
    assert accuracy.score is None
    assert accuracy.reason == "no declared ranges (minimum/maximum) to check"
    assert not timeliness.judged
    assert timeliness.reason == "no update frequency declared"
    assert "timeliness not judged: no update frequency declared" in report.issues
    assert report.dimension("normativity").measurements["schema_source"] == "inferred"
    assert report.overall is not None


def test_values_breaking_type_enum_and_pattern_lower_normativity(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,kind,code\n1,a,X-1\nfoo,a,X-2\n3,z,X-3\n4,b,bad\n5,,X-5\n")
    declared = Declared.parse(
        schema={
            "fields": [
                {"name": "id", "type": "integer"},
                {"name": "kind", "type": "string", "constraints": {"enum": ["a", "b"]}},
                {"name": "code", "type": "string", "constraints": {"pattern": "X-[0-9]+"}},
            ]
        }
    )
    report = check(path, declared)

    normativity = report.dimension("normativity")
    assert normativity.measurements["cells_checked"] == 14  # 15 cells, one empty
    assert normativity.measurements["cells_nonconforming"] == 3
    assert normativity.measurements["nonconforming:id"] == 1
    assert normativity.measurements["nonconforming:kind"] == 1
    assert normativity.measurements["nonconforming:code"] == 1
    assert normativity.score == round(100 * 11 / 14, 2)


def test_cross_field_rule_violations_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "start_date,end_date\n2024-01-01,2024-01-02\n2024-01-05,2024-01-01\n2024-01-01,\n"
    )
    declared = Declared.parse(
        schema={
            "fields": [{"name": "start_date", "type": "date"}, {"name": "end_date", "type": "date"}]
        },
        rules=["end_date >= start_date"],
    )
    consistency = check(path, declared).dimension("consistency")

    assert consistency.measurements["rule:end_date >= start_date"] == 1


def test_duplicate_rows_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n1,x\n1,x\n2,y\n")
    consistency = check(path, Declared()).dimension("consistency")

    assert consistency.measurements["duplicate_rows"] == 2


def test_progress_rises_to_100(tmp_path: Path) -> None:
    seen: list[int] = []
    check(write_table(tmp_path / "t.csv"), progress=lambda pct, _stage: seen.append(pct))

    assert seen[-1] == 100
    assert seen == sorted(seen)


def test_the_delivery_path_is_what_gets_hashed_and_a_mismatch_lowers_accessibility(
    tmp_path: Path,
) -> None:
    path = write_table(tmp_path / "t.csv")
    good = check(path, expected_sha256=check(path).content_sha256)
    broken = check(path, chunks=iter([b"garbage"]), expected_sha256=good.content_sha256)

    assert good.dimension("accessibility").score == 100
    assert broken.dimension("accessibility").measurements["content_hash_matches"] is False
    assert broken.dimension("accessibility").score is not None
    assert broken.dimension("accessibility").score < 100  # type: ignore[operator]


def test_a_delivery_path_that_fails_part_way_scores_accessibility_zero(tmp_path: Path) -> None:
    def failing() -> object:
        yield b"id\n1\n"
        raise OSError("blob store went away")

    report = check(write_table(tmp_path / "t.csv"), chunks=failing())  # type: ignore[arg-type]

    access = report.dimension("accessibility")
    assert access.score == 0
    assert access.measurements["read_error"] == "OSError: blob store went away"
    assert not report.dimension("completeness").judged


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_json_lines_and_parquet_are_evaluated_with_the_same_measurements(
    tmp_path: Path, fmt: str
) -> None:
    df = pl.read_csv(write_table(tmp_path / "t.csv"), infer_schema=False).with_columns(
        pl.col("id").cast(pl.Int64), pl.col("score").cast(pl.Int64)
    )
    path = tmp_path / f"t.{fmt}"
    if fmt == "jsonl":
        df.write_ndjson(path)
    else:
        df.write_parquet(path)
    report = evaluate(path, fmt=fmt, declared=DECLARED, as_of=AS_OF)  # type: ignore[arg-type]

    assert report.rows == ROWS + DUPLICATE_KEYS
    assert report.dimension("completeness").measurements["null_cells"] == NULL_ROWS
    assert report.dimension("accuracy").measurements["values_out_of_range"] == OUT_OF_RANGE
    assert report.dimension("consistency").measurements["duplicate_keys"] == DUPLICATE_KEYS


def test_lists_structs_durations_and_wide_integers_are_profiled_not_refused(
    tmp_path: Path,
) -> None:
    frame = pl.DataFrame(
        {
            "tags": [[1, 2], [3], [1, 2]],
            "point": [{"x": 1}, {"x": 2}, {"x": 1}],
            "wait": pl.Series([1, 2, 2], dtype=pl.Duration("us")),
            "big": pl.Series([2**63, 1, 5], dtype=pl.UInt64),
        }
    )
    frame.write_parquet(tmp_path / "t.parquet")
    report = evaluate(tmp_path / "t.parquet", fmt="parquet", as_of=AS_OF)

    assert report.dimension("accessibility").score == 100
    distinct = {p.name: p.distinct_count for p in report.profile}
    assert distinct == {"tags": 2, "point": 2, "wait": 2, "big": 3}
    big = next(p for p in report.profile if p.name == "big")
    assert big.type == "integer"
    assert big.max == float(2**63)
    assert report.dimension("normativity").measurements["cells_nonconforming"] == 0


def test_nan_and_infinity_leave_quantiles_to_the_finite_values_and_compare_equal(
    tmp_path: Path,
) -> None:
    from marketplace.quality import compare

    path = tmp_path / "t.csv"
    path.write_text("x\n1\nnan\n3\ninf\n2\n")
    report = evaluate(path, fmt="csv", as_of=AS_OF)

    x = report.profile[0]
    assert x.quantiles == {"p25": 1.5, "p50": 2.0, "p75": 2.5}
    assert x.mean is None  # no finite mean with NaN in the column
    stored = QualityReport.model_validate(report.model_dump(mode="json"))  # as the API keeps it
    assert compare(stored, evaluate(path, fmt="csv", as_of=AS_OF)).columns_changed == []


def test_minus_zero_is_zero_whichever_way_the_column_is_read(tmp_path: Path) -> None:
    declared = Declared.parse(schema={"fields": [{"name": "n", "type": "number"}]})
    parsed = tmp_path / "parsed.csv"
    parsed.write_text("n\n0\n-0\n")
    as_text = tmp_path / "text.csv"
    as_text.write_text("n\n0\n-0\nx\n")  # one value that does not parse: read as text

    for path, distinct in [(parsed, 1), (as_text, 2)]:
        report = check(path, declared)
        assert report.dimension("consistency").measurements["duplicate_rows"] == 1
        assert report.profile[0].distinct_count == distinct


def test_a_timestamp_field_that_is_not_a_date_leaves_timeliness_unjudged_with_the_reason(
    tmp_path: Path,
) -> None:
    declared = Declared.parse(update_frequency="daily", timestamp_field="id")
    report = check(write_table(tmp_path / "t.csv"), declared)

    timeliness = report.dimension("timeliness")
    assert not timeliness.judged
    assert timeliness.reason == "field 'id' is not a date or datetime field of the table"


def test_bounds_given_as_text_are_read_with_the_fields_type_and_format(tmp_path: Path) -> None:
    """Table Schema lets constraint values be text "castable with the type and format rules of
    the field"."""
    path = tmp_path / "t.csv"
    path.write_text("n,d\n0,01/01/2019\n5,01/01/2021\n")
    declared = Declared.parse(
        schema={
            "fields": [
                {"name": "n", "type": "integer", "constraints": {"minimum": "1"}},
                {
                    "name": "d",
                    "type": "date",
                    "format": "%d/%m/%Y",
                    "constraints": {"minimum": "01/01/2020"},
                },
            ]
        }
    )
    accuracy = check(path, declared).dimension("accuracy").measurements

    assert accuracy["out_of_range:n"] == 1
    assert accuracy["out_of_range:d"] == 1


def test_boolean_fields_are_compared_for_equality_only(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\ntrue,false\ntrue,true\n")
    fields = [{"name": "a", "type": "boolean"}, {"name": "b", "type": "boolean"}]
    declared = Declared.parse(schema={"fields": fields}, rules=["a == b", "a != b", "a > b"])
    consistency = check(path, declared).dimension("consistency").measurements

    assert (consistency["rule:a == b"], consistency["rule:a != b"]) == (1, 1)
    assert consistency["rules_not_checked"] == "a > b"


def test_a_rule_on_an_untyped_column_that_is_not_text_is_not_checked(tmp_path: Path) -> None:
    frame = pl.DataFrame({"t": [time(8, 0), time(9, 30)], "s": ["x", "y"]})
    frame.write_parquet(tmp_path / "t.parquet")
    declared = Declared.parse(rules=["t > '08:00'", "t != s", "s != 'x'"])
    report = evaluate(tmp_path / "t.parquet", fmt="parquet", declared=declared, as_of=AS_OF)

    consistency = report.dimension("consistency").measurements
    assert consistency["rules_not_checked"] == "t > '08:00'; t != s"
    assert consistency["rule:s != 'x'"] == 1
    assert report.dimension("accessibility").measurements["parseable"] is True


def test_a_rule_whose_sides_cannot_be_compared_is_reported_not_checked(tmp_path: Path) -> None:
    declared = Declared.parse(
        schema=SCHEMA, rules=["name > 5", "score > 'x'", "start_date >= id", "score >= 0"]
    )
    report = check(write_table(tmp_path / "t.csv"), declared)

    consistency = report.dimension("consistency").measurements
    assert consistency["rules_not_checked"] == "name > 5; score > 'x'; start_date >= id"
    assert consistency["rule:score >= 0"] == 0
    assert report.dimension("accessibility").measurements["parseable"] is True


def test_inferred_missing_value_markers_count_as_missing_and_leave_the_type_to_the_rest() -> None:
    data = b"id,x,s\n1,NA,a\n2,3.5,NULL\n3,nan,b\n4,2,a\n"

    report = evaluate(data, fmt="csv", as_of=AS_OF)

    assert report.judged_schema is not None
    assert report.judged_schema["missingValues"] == ["", "NA", "nan", "NULL"]
    profile = {p.name: (p.type, p.null_count) for p in report.profile}
    assert profile == {"id": ("integer", 0), "x": ("number", 2), "s": ("string", 1)}
    assert report.dimension("completeness").measurements["null_cells"] == 3
    assert report.dimension("normativity").measurements["cells_nonconforming"] == 0
