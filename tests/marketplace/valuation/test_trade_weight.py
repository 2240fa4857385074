"""A settled trade weighs by its age in the market approach's mean: 1 today, halving every
``valuation_trade_half_life_days``; every other comparable weighs 1, so the mean is unchanged
where no trade is older than today."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from marketplace import limits
from marketplace.valuation.exchange_comparables import trade_weight
from marketplace.valuation.methods import Comparable, MarketInputs, market_approach

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
HALF_LIFE = timedelta(days=limits.valuation_trade_half_life_days)


def test_the_weight_halves_with_each_half_life() -> None:
    assert trade_weight(NOW, NOW) == 1
    assert trade_weight(NOW + timedelta(hours=1), NOW) == 1  # clock skew: not above 1
    assert trade_weight(NOW - HALF_LIFE, NOW) == Decimal("0.5")
    assert trade_weight(NOW - 2 * HALF_LIFE, NOW) == Decimal("0.25")
    assert trade_weight(NOW - 100 * HALF_LIFE, NOW) == Decimal("0.0001")


def comparable(price: int, weight: Decimal, traded_at: datetime | None = None) -> Comparable:
    return Comparable(
        price_minor=price, quality_score=Decimal(80), timeliness_score=Decimal(70),
        volume_rows=100, rights=frozenset({"processing_use"}), source="settled_trade",
        traded_at=traded_at, weight=weight,
    )  # fmt: skip


def test_an_older_trade_weighs_less_in_the_mean_and_says_so() -> None:
    old = NOW - HALF_LIFE
    inputs = MarketInputs(
        quality_score=Decimal(80), timeliness_score=Decimal(70), volume_rows=100,
        rights=frozenset({"processing_use"}),
        comparables=[
            comparable(1_000, Decimal(1)), comparable(1_000, Decimal(1)),
            comparable(4_000, trade_weight(old, NOW), old),
        ],
    )  # fmt: skip

    result = market_approach(inputs)

    assert result.value_minor == 1_600  # (1,000 + 1,000 + 0.5 x 4,000) / 2.5; unweighted 2,000
    assert (result.low_minor, result.high_minor) == (1_000, 4_000)
    assert result.steps["comparable_2_weight"] == "0.5000, settled 2026-06-09"
    assert "comparable_0_weight" not in result.steps
