from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from ledger.canonical import canonical_json
from marketplace.money import Currency
from marketplace.valuation import IncomeInputs, MarketInputs, ValuationInputs, combine
from tests.marketplace.valuation.test_methods import COST, SUBJECT, comparable

ISSUED = datetime(2026, 6, 30, tzinfo=UTC)
INCOME = IncomeInputs(
    annual_income_minor=1_000_000,
    income_share=Decimal("0.2"),
    discount_rate=Decimal("0.1"),
    horizon_years=3,
)
MARKET = MarketInputs.model_validate(
    SUBJECT
    | {
        "comparables": [
            comparable(volume_rows=10_000),
            comparable(
                price_minor=1_500_000,
                quality_score=75,
                timeliness_score=80,
                rights={"holding", "processing_use", "operation"},
            ),
            comparable(price_minor=2_000_000, volume_rows=160_000),
        ]
    }
)


def test_three_approaches_combine_by_weight_into_a_value_and_a_range() -> None:
    report = combine(
        ValuationInputs(cost=COST, income=INCOME, market=MARKET),
        kind="indicative",
        subject="asset:1",
        currency=Currency("CNY", 2),
        issued_at=ISSUED,
    )

    # (30 x 42,570,000 + 40 x 497,370 + 30 x 1,600,000) / 100 = 13,449,948
    assert report.value_minor == 13_449_948
    assert report.weights_applied == {"cost": 30, "income": 40, "market": 30}
    assert (report.low_minor, report.high_minor) == (497_370, 42_570_000)


def test_an_approach_without_a_value_drops_out_and_the_weights_renormalise() -> None:
    report = combine(
        ValuationInputs(income=INCOME, market=MarketInputs.model_validate(SUBJECT)),
        kind="indicative",
        subject="asset:1",
        currency=Currency("CNY", 2),
        issued_at=ISSUED,
    )

    assert report.value_minor == 497_370
    assert report.weights_applied == {"income": 40}
    market = next(a for a in report.approaches if a.approach == "market")
    assert market.note == "insufficient comparables: 0 of at least 3"


def test_with_no_usable_approach_the_report_says_so_instead_of_a_number() -> None:
    report = combine(
        ValuationInputs(market=MarketInputs.model_validate(SUBJECT)),
        kind="indicative",
        subject="asset:1",
        currency=Currency("CNY", 2),
        issued_at=ISSUED,
    )

    assert report.value_minor is None
    assert report.note is not None


def test_the_report_hash_is_over_canonical_json_without_floats() -> None:
    report = combine(
        ValuationInputs(cost=COST, income=INCOME, market=MARKET),
        kind="certified",
        subject="asset:1",
        currency=Currency("CNY", 2),
        issued_at=ISSUED,
    )

    canonical_json(report.canonical_payload())
    assert report.report_hash() == report.model_copy().report_hash()
    assert report.report_hash() != report.model_copy(update={"value_minor": 1}).report_hash()


def test_a_nested_bad_input_names_its_path() -> None:
    with pytest.raises(ValidationError) as info:
        ValuationInputs.model_validate(
            {
                "income": {
                    "annual_income_minor": 1,
                    "income_share": "0.2",
                    "discount_rate": "-1.5",
                    "horizon_years": 3,
                }
            }
        )

    assert info.value.errors()[0]["loc"] == ("income", "discount_rate")
