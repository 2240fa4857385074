from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.canonical import canonical_json
from marketplace.quality import evaluate
from marketplace.quality.report import (
    DEFAULT_WEIGHTS,
    DimensionResult,
    overall_score,
    validate_weights,
)
from tests.marketplace.quality.defects import AS_OF, write_table
from tests.marketplace.quality.test_evaluation import DECLARED


def test_the_same_file_evaluated_twice_has_the_same_report_hash(tmp_path: Path) -> None:
    path = write_table(tmp_path / "t.csv")
    first = evaluate(path, fmt="csv", declared=DECLARED, as_of=AS_OF)
    second = evaluate(path, fmt="csv", declared=DECLARED, as_of=AS_OF)

    assert first.report_hash() == second.report_hash()
    assert first.report_hash().startswith("0x")
    assert len(first.report_hash()) == 66


def test_sample_values_are_only_in_the_owner_view_and_not_in_the_hash(tmp_path: Path) -> None:
    report = evaluate(write_table(tmp_path / "t.csv"), fmt="csv", declared=DECLARED, as_of=AS_OF)

    name = next(p for p in report.profile if p.name == "name")
    assert name.samples == ["name-1", "name-2", "name-3"]  # row 0 holds a null
    public = report.public_view()
    assert all(p.samples is None for p in public.profile)
    assert "name-1" not in json.dumps(public.model_dump(mode="json"))
    assert public.report_hash() == report.report_hash()


def test_the_canonical_payload_holds_no_floats_so_the_ledger_accepts_it(tmp_path: Path) -> None:
    report = evaluate(write_table(tmp_path / "t.csv"), fmt="csv", declared=DECLARED, as_of=AS_OF)

    canonical_json(report.canonical_payload())  # raises on any float


def test_top_values_are_shown_for_low_cardinality_text_only(tmp_path: Path) -> None:
    report = evaluate(write_table(tmp_path / "t.csv"), fmt="csv", declared=DECLARED, as_of=AS_OF)

    by_name = {p.name: p for p in report.profile}
    category = by_name["category"].top_values
    assert category is not None
    assert [t.value for t in category] == sorted(
        [t.value for t in category], key=lambda v: -next(t.count for t in category if t.value == v)
    )
    assert sum(t.count for t in category) == report.rows
    assert by_name["name"].top_values is None
    score = by_name["score"]
    assert score.min == 0
    assert score.max == 150
    assert score.quantiles is not None
    assert set(score.quantiles) == {"p25", "p50", "p75"}


def test_the_overall_score_renormalises_weights_over_judged_dimensions() -> None:
    dims = [
        DimensionResult(name="completeness", judged=True, score=90.0),
        DimensionResult(name="accuracy", judged=False, reason="no declared ranges"),
        DimensionResult(name="accessibility", judged=True, score=100.0),
    ]

    # completeness weight 20, accessibility 15: (90*20 + 100*15) / 35
    assert overall_score(dims, DEFAULT_WEIGHTS) == round((90 * 20 + 100 * 15) / 35, 2)


def test_weights_must_name_every_dimension_and_not_all_be_zero() -> None:
    with pytest.raises(ValueError, match="must name exactly"):
        validate_weights({"completeness": 1})
    with pytest.raises(ValueError, match="not all zero"):
        validate_weights(dict.fromkeys(DEFAULT_WEIGHTS, 0))
    assert sum(DEFAULT_WEIGHTS.values()) == 100
