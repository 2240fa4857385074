"""The price suggestion's range and reasoning, from a valuation, comparable listings, both, or
neither (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from marketplace.listings.suggestion import (
    ComparableListing,
    PriceSuggestion,
    ValuationBasis,
    size_factor,
    suggest,
)
from marketplace.money import Currency

CNY = Currency("CNY", 2)
VALUATION = ValuationBasis(
    valuation_id=7,
    kind="indicative",
    revision=2,
    issued_at=datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
    value_minor=1_600_000,
    low_minor=1_000_000,
    high_minor=2_000_000,
)


def listing(
    listing_id: int, price: int | None, *, kind: str = "fixed", size: int | None = 1000
) -> ComparableListing:
    return ComparableListing(
        listing_id=listing_id,
        asset_id=100 + listing_id,
        price_kind=kind,
        headline_minor=price,
        theme="environment",
        classification="general",
        size_bytes=size,
    )


def run(
    valuation: ValuationBasis | None = None,
    comparables: list[ComparableListing] | None = None,
    *,
    size: int | None = 1000,
    without_value: int = 0,
) -> PriceSuggestion:
    return suggest(
        asset_id=1,
        currency=CNY,
        subject_size_bytes=size,
        valuation=valuation,
        valuations_without_value=without_value,
        comparables=comparables or [],
    )


def test_nothing_to_go_on_gives_no_suggestion_and_says_so() -> None:
    shown = run()
    assert (shown.low_minor, shown.mid_minor, shown.high_minor) == (None, None, None)
    assert shown.reasoning == [
        "The asset has no valuation.",
        "No active listing of a comparable asset (same theme and classification).",
        "This suggestion reads no settled trades; a valuation's market approach does.",
        "No valuation and no comparables: no suggestion.",
    ]


def test_a_valuation_alone_gives_its_range() -> None:
    shown = run(VALUATION)
    assert (shown.low_minor, shown.mid_minor, shown.high_minor) == (1_000_000, 1_600_000, 2_000_000)
    assert shown.reasoning[0] == (
        "The latest valuation with a value (#7, indicative, of revision 2, issued 2026-11-03) "
        "values the asset at 16,000.00 CNY, within 10,000.00 CNY to 20,000.00 CNY."
    )
    assert shown.reasoning[-1] == (
        "Suggested: 10,000.00 CNY to 20,000.00 CNY, 16,000.00 CNY in the middle."
    )
    assert shown.valuation == VALUATION


def test_comparables_give_min_median_max_of_their_size_adjusted_prices() -> None:
    shown = run(
        comparables=[listing(1, 30_000), listing(2, 10_000, size=4000), listing(3, 50_000)],
        size=1000,
    )
    # listing 2 is four times larger: x (1/4) ** 0.5 = 0.5 -> 5,000
    assert [c.adjusted_minor for c in shown.comparables] == [30_000, 5_000, 50_000]
    assert (shown.low_minor, shown.mid_minor, shown.high_minor) == (5_000, 30_000, 50_000)
    assert (
        "Listing #2 (asset 102, environment, general) asks 100.00 CNY; x 0.5000 for size "
        "(4,000 bytes against the asset's) = 50.00 CNY." in shown.reasoning
    )
    assert (
        "The 3 comparable listings give 50.00 CNY to 500.00 CNY, median 300.00 CNY."
        in shown.reasoning
    )


def test_an_even_number_of_comparables_takes_the_mean_of_the_middle_two() -> None:
    shown = run(comparables=[listing(i, p) for i, p in enumerate([100, 201, 300, 400], 1)])
    assert (shown.low_minor, shown.mid_minor, shown.high_minor) == (100, 251, 400)  # 250.5 up


def test_one_comparable_is_used_but_called_thin_evidence() -> None:
    shown = run(comparables=[listing(1, 5_000, size=None)])
    assert (shown.low_minor, shown.mid_minor, shown.high_minor) == (5_000, 5_000, 5_000)
    assert (
        "Listing #1 (asset 101, environment, general) asks 50.00 CNY; taken as it is "
        "(size unknown)." in shown.reasoning
    )
    assert any("One listing is thin evidence." in line for line in shown.reasoning)


def test_prices_per_period_or_unit_are_left_out_and_named() -> None:
    shown = run(
        comparables=[
            listing(1, 900, kind="subscription"),
            listing(2, 3, kind="metered"),
            listing(3, None, kind="negotiable"),
        ]
    )
    assert shown.mid_minor is None
    assert [c.listing_id for c in shown.left_out] == [1, 2, 3]
    assert (
        "Left out 3 comparable listing(s) (#1, #2, #3) whose price is not one-off (metered, "
        "negotiable, subscription): a price per period or per unit, or no price, does not "
        "compare." in shown.reasoning
    )
    assert shown.reasoning[-1] == "No valuation and no comparables: no suggestion."


def test_valuation_and_comparables_weigh_equally() -> None:
    shown = run(VALUATION, [listing(1, 1_000_000), listing(2, 1_200_000), listing(3, 1_400_000)])
    # valuation (1.0M, 1.6M, 2.0M), listings (1.0M, 1.2M, 1.4M)
    assert (shown.low_minor, shown.mid_minor, shown.high_minor) == (1_000_000, 1_400_000, 1_700_000)
    assert (
        "The valuation and the comparable listings weigh equally: each bound is the mean of "
        "the two." in shown.reasoning
    )


def test_valuations_without_value_are_counted_not_used() -> None:
    assert (
        "2 newer valuations give no value, so cannot be used."
        in run(VALUATION, without_value=2).reasoning
    )
    alone = run(without_value=1)
    assert "1 valuation gives no value, so cannot be used." in alone.reasoning
    assert alone.mid_minor is None


def test_a_valuation_of_zero_still_suggests_at_least_one_minor_unit() -> None:
    zero = VALUATION.model_copy(update={"value_minor": 0, "low_minor": 0, "high_minor": 0})
    shown = run(zero)
    assert (shown.low_minor, shown.mid_minor, shown.high_minor) == (1, 1, 1)


@pytest.mark.parametrize(
    ("subject", "comparable", "factor"),
    [
        (1000, 1000, Decimal(1)),
        (4000, 1000, Decimal(2)),
        (1_000_000, 1, Decimal(2)),  # held at 2
        (1, 1_000_000, Decimal("0.5")),  # held at 0.5
        (None, 1000, Decimal(1)),
        (1000, None, Decimal(1)),
    ],
)
def test_size_factor_is_the_square_root_held_within_bounds(
    subject: int | None, comparable: int | None, factor: Decimal
) -> None:
    assert size_factor(subject, comparable) == factor
