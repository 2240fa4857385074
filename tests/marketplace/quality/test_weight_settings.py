"""The quality weights are settings: six non-negative integers, not all zero."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from marketplace.quality.report import DEFAULT_WEIGHTS
from marketplace.settings import Settings


def test_the_default_weights_are_the_documented_ones() -> None:
    assert Settings().quality_weights == DEFAULT_WEIGHTS


def test_a_weight_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABOURSE_QUALITY_WEIGHT_TIMELINESS", "40")

    assert Settings().quality_weights["timeliness"] == 40


def test_all_zero_weights_are_refused() -> None:
    zeros = {f"quality_weight_{d}": 0 for d in DEFAULT_WEIGHTS}

    with pytest.raises(ValidationError, match="must not all be zero"):
        Settings.model_validate(zeros)


def test_a_negative_weight_is_refused() -> None:
    with pytest.raises(ValidationError, match="quality_weight_accuracy"):
        Settings.model_validate({"quality_weight_accuracy": -1})
