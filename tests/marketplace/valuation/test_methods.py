"""Each approach against an example worked by hand (amounts in fen)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from marketplace.valuation import (
    Comparable,
    CostInputs,
    IncomeInputs,
    MarketInputs,
    cost_approach,
    income_approach,
    market_approach,
)
from marketplace.valuation.methods import value_adjustment

COST = CostInputs(
    components_minor={
        "collection": 20_000_000,
        "storage": 3_000_000,
        "processing": 5_000_000,
        "labelling": 4_000_000,
        "compute": 2_000_000,
        "labour": 10_000_000,
        "compliance": 1_000_000,
    },
    profit_rate=Decimal("0.10"),
    quality_score=Decimal(90),
    timeliness_score=Decimal(80),
)


def test_cost_approach_reproduces_the_worked_example() -> None:
    # replacement cost 45,000,000; x 1.10 = 49,500,000
    # adjustment = 0.6 x (1 - 0.90) + 0.4 x (1 - 0.80) = 0.06 + 0.08 = 0.14
    # value = 49,500,000 x 0.86 = 42,570,000
    result = cost_approach(COST)

    assert result.value_minor == 42_570_000
    assert result.steps["replacement_cost_minor"] == "45000000"
    assert result.steps["value_adjustment"] == "0.1400"


def test_the_value_adjustment_uses_the_known_score_alone_and_nothing_without_scores() -> None:
    assert value_adjustment(Decimal(90), None) == Decimal("0.1")
    assert value_adjustment(None, None) == 0


def test_income_approach_reproduces_the_worked_example() -> None:
    # attributable income 1,000,000 x 0.2 = 200,000 a year, discounted at 10 % over 3 years:
    # 181,818.18 + 165,289.26 + 150,262.96 = 497,370.40 -> 497,370
    result = income_approach(
        IncomeInputs(
            annual_income_minor=1_000_000,
            income_share=Decimal("0.2"),
            discount_rate=Decimal("0.1"),
            horizon_years=3,
        )
    )

    assert result.value_minor == 497_370
    assert result.steps == {
        "year_1_minor": "181818",
        "year_2_minor": "165289",
        "year_3_minor": "150263",
    }


def test_income_approach_grows_the_income_each_year() -> None:
    # 200,000 / 1.1 + 210,000 / 1.21 = 181,818.18 + 173,553.72 = 355,371.90 -> 355,372
    result = income_approach(
        IncomeInputs(
            annual_income_minor=1_000_000,
            growth_rate=Decimal("0.05"),
            income_share=Decimal("0.2"),
            discount_rate=Decimal("0.1"),
            horizon_years=2,
        )
    )

    assert result.value_minor == 355_372


def comparable(**kw: Any) -> Comparable:
    base: dict[str, Any] = {
        "price_minor": 1_000_000,
        "quality_score": 90,
        "timeliness_score": 100,
        "volume_rows": 40_000,
        "rights": {"processing_use", "operation"},
    }
    return Comparable.model_validate(base | kw)


SUBJECT: dict[str, Any] = {
    "quality_score": 90,
    "timeliness_score": 100,
    "volume_rows": 40_000,
    "rights": {"processing_use", "operation"},
}


def test_market_approach_reproduces_the_worked_example() -> None:
    comps = [
        # a quarter of the volume: x sqrt(4) = 2 -> 2,000,000
        comparable(price_minor=1_000_000, volume_rows=10_000),
        # worse quality and timeliness, more rights: x 1.2 x 1.25 x 0.8 -> 1,800,000
        comparable(
            price_minor=1_500_000,
            quality_score=75,
            timeliness_score=80,
            rights={"holding", "processing_use", "operation"},
        ),
        # four times the volume: x sqrt(1/4) = 0.5 -> 1,000,000
        comparable(price_minor=2_000_000, volume_rows=160_000, source="valuer", reference="x"),
    ]
    result = market_approach(MarketInputs.model_validate(SUBJECT | {"comparables": comps}))

    assert result.value_minor == 1_600_000  # (2,000,000 + 1,800,000 + 1,000,000) / 3
    assert (result.low_minor, result.high_minor) == (1_000_000, 2_000_000)
    assert result.steps["comparable_2_source"] == "valuer: x"
    assert result.steps["comparable_0_source"] == "exchange"


def test_market_approach_without_comparables_says_insufficient_comparables() -> None:
    result = market_approach(MarketInputs.model_validate(SUBJECT))

    assert result.value_minor is None
    assert result.note == "insufficient comparables: 0 of at least 3"


def test_market_approach_below_the_minimum_count_gives_no_number() -> None:
    inputs = MarketInputs.model_validate(SUBJECT | {"comparables": [comparable(), comparable()]})

    assert market_approach(inputs).value_minor is None


def test_an_adjustment_factor_is_held_within_half_and_double() -> None:
    comps = [comparable(volume_rows=1)] * 3  # volume factor sqrt(40,000) = 200 -> 2
    result = market_approach(MarketInputs.model_validate(SUBJECT | {"comparables": comps}))

    assert result.value_minor == 2_000_000


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (
            CostInputs,
            {"components_minor": {"labour": -1}, "profit_rate": "0.1"},
            ("components_minor", "labour"),
        ),
        (
            IncomeInputs,
            {
                "annual_income_minor": 1,
                "income_share": "0.2",
                "discount_rate": "-1",
                "horizon_years": 3,
            },
            ("discount_rate",),
        ),
        (
            IncomeInputs,
            {
                "annual_income_minor": 1,
                "income_share": "0.2",
                "discount_rate": "0.1",
                "horizon_years": 0,
            },
            ("horizon_years",),
        ),
        (
            CostInputs,
            {"components_minor": {"marketing": 1}, "profit_rate": "0"},
            ("components_minor",),
        ),
    ],
)
def test_meaningless_inputs_are_refused_naming_the_field(
    model: type[CostInputs | IncomeInputs], data: dict[str, Any], field: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)

    assert [e["loc"] for e in info.value.errors()] == [field]
