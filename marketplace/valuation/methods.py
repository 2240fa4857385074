"""The three valuation approaches (China Appraisal Society, 数据资产评估指导意见, 2023), as pure
functions. docs/valuation.md gives each formula with a worked example.

Money is integer minor units (fen for CNY) at the edges; inside, amounts and rates are
``Decimal`` and a result is rounded once, half up, to a whole minor unit. Inputs are pydantic
models whose constraints reject what has no meaning (a negative cost, a discount rate at or
below -100 %, a horizon of 0) with the field named, so an endpoint answers 422.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from marketplace import limits

Approach = Literal["cost", "income", "market"]
Right = Literal["holding", "processing_use", "operation"]  # 持有权 / 加工使用权 / 经营权
COST_COMPONENTS = (
    "collection",
    "storage",
    "processing",
    "labelling",
    "compute",
    "labour",
    "compliance",
)

NonNegativeMinor = Annotated[int, Field(strict=True, ge=0, le=10**15)]
Score = Annotated[Decimal, Field(ge=0, le=100)]

# Cost approach: share of the value adjustment that comes from quality and from timeliness.
ADJUSTMENT_QUALITY_WEIGHT = Decimal("0.6")
ADJUSTMENT_TIMELINESS_WEIGHT = Decimal("0.4")
# Market approach: each adjustment factor is held within these bounds, so that one
# dissimilar comparable cannot dominate; a comparable needing more is not comparable.
FACTOR_MIN = Decimal("0.5")
FACTOR_MAX = Decimal("2")
VOLUME_ELASTICITY = Decimal("0.5")  # value grows with the square root of the volume
RIGHT_WEIGHTS: dict[str, Decimal] = {
    "holding": Decimal("0.2"),
    "processing_use": Decimal("0.4"),
    "operation": Decimal("0.4"),
}


def to_minor(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class _Inputs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApproachResult(BaseModel):
    """One approach's answer: a value (None when the approach cannot give one, with the
    reason), its own range where it has one, and the steps that produced it."""

    model_config = ConfigDict(frozen=True)

    approach: Approach
    value_minor: int | None
    low_minor: int | None = None
    high_minor: int | None = None
    steps: dict[str, str] = Field(default_factory=dict)  # named intermediate values, as text
    note: str | None = None


# --- cost ------------------------------------------------------------------------------------


class CostInputs(_Inputs):
    """Replacement cost by component, a reasonable profit rate, and the quality and timeliness
    scores (0-100) the value adjustment is derived from; a missing score adjusts nothing."""

    components_minor: dict[str, NonNegativeMinor] = Field(
        max_length=limits.valuation_cost_components_max
    )
    profit_rate: Decimal = Field(ge=0, le=10)
    quality_score: Score | None = None
    timeliness_score: Score | None = None

    @field_validator("components_minor")
    @classmethod
    def _known_components(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(COST_COMPONENTS))
        if unknown:
            raise ValueError(f"unknown cost components {unknown}; use {', '.join(COST_COMPONENTS)}")
        return value


def value_adjustment(quality: Decimal | None, timeliness: Decimal | None) -> Decimal:
    """Share of the cost the data has lost to defects and age, 0..1:
    0.6 x (1 - Q/100) + 0.4 x (1 - T/100); a missing score's weight moves to the other, and
    with neither the adjustment is 0."""
    parts = [
        (ADJUSTMENT_QUALITY_WEIGHT, quality),
        (ADJUSTMENT_TIMELINESS_WEIGHT, timeliness),
    ]
    known = [(w, s) for w, s in parts if s is not None]
    if not known:
        return Decimal(0)
    total = sum((w for w, _ in known), Decimal(0))
    adjustment = sum((w * (1 - s / 100) for w, s in known), Decimal(0)) / total
    assert 0 <= adjustment <= 1
    return adjustment


def cost_approach(inputs: CostInputs) -> ApproachResult:
    """value = replacement cost x (1 + profit rate) x (1 - value adjustment)."""
    replacement = Decimal(sum(inputs.components_minor.values()))
    adjustment = value_adjustment(inputs.quality_score, inputs.timeliness_score)
    value = replacement * (1 + inputs.profit_rate) * (1 - adjustment)
    assert value >= 0
    return ApproachResult(
        approach="cost",
        value_minor=to_minor(value),
        steps={
            "replacement_cost_minor": str(replacement),
            "profit_rate": str(inputs.profit_rate),
            "value_adjustment": str(adjustment.quantize(Decimal("0.0001"))),
        },
    )


# --- income ----------------------------------------------------------------------------------


class IncomeInputs(_Inputs):
    """Expected income of the business using the data in the first year, its yearly growth,
    the share of it attributable to the data (分成率), the discount rate and the horizon."""

    annual_income_minor: NonNegativeMinor
    growth_rate: Decimal = Field(default=Decimal(0), gt=-1, le=10)
    income_share: Decimal = Field(ge=0, le=1)
    discount_rate: Decimal = Field(gt=-1, le=10)
    horizon_years: int = Field(strict=True, ge=1, le=limits.valuation_horizon_years_max)


def income_approach(inputs: IncomeInputs) -> ApproachResult:
    """value = sum over t = 1..n of  I x (1 + g)^(t-1) x s / (1 + r)^t."""
    income = Decimal(inputs.annual_income_minor)
    one_g = 1 + inputs.growth_rate
    one_r = 1 + inputs.discount_rate
    assert one_r > 0
    terms = [
        income * one_g ** (t - 1) * inputs.income_share / one_r**t
        for t in range(1, inputs.horizon_years + 1)
    ]
    value = sum(terms, Decimal(0))
    return ApproachResult(
        approach="income",
        value_minor=to_minor(value),
        steps={f"year_{t}_minor": str(to_minor(v)) for t, v in enumerate(terms, start=1)},
    )


# --- market ----------------------------------------------------------------------------------


class Comparable(_Inputs):
    """A price of similar data: an active listing on this exchange (``exchange``), a trade
    settled on it (``settled_trade``, with the day it settled and its weight by age), or one
    supplied by the valuer (``reference`` says where it comes from)."""

    price_minor: int = Field(strict=True, gt=0, le=10**15)
    quality_score: Score = Field(gt=0)
    timeliness_score: Score = Field(gt=0)
    volume_rows: int = Field(strict=True, gt=0)
    rights: frozenset[Right] = Field(min_length=1)
    source: Literal["exchange", "valuer", "settled_trade"] = "exchange"
    reference: str = Field(default="", max_length=200)
    traded_at: datetime | None = None
    # Its share in the mean: 1, or less for an older settled trade (docs/valuation.md).
    weight: Decimal = Field(default=Decimal(1), gt=0, le=1)


class MarketInputs(_Inputs):
    """The subject's own quality, timeliness, volume and rights, and its comparables."""

    quality_score: Score = Field(gt=0)
    timeliness_score: Score = Field(gt=0)
    volume_rows: int = Field(strict=True, gt=0)
    rights: frozenset[Right] = Field(min_length=1)
    comparables: list[Comparable] = Field(
        default_factory=list, max_length=limits.valuation_comparables_max
    )


def _bounded(factor: Decimal) -> Decimal:
    return min(FACTOR_MAX, max(FACTOR_MIN, factor))


def rights_weight(rights: frozenset[str]) -> Decimal:
    return sum((RIGHT_WEIGHTS[r] for r in rights), Decimal(0))


def adjusted_price(subject: MarketInputs, comp: Comparable) -> tuple[Decimal, dict[str, Decimal]]:
    """price x Kq x Kt x Kv x Kr, each factor the subject's measure over the comparable's
    (volume to the power 0.5), held within [0.5, 2]."""
    factors = {
        "quality": _bounded(subject.quality_score / comp.quality_score),
        "timeliness": _bounded(subject.timeliness_score / comp.timeliness_score),
        "volume": _bounded(
            (Decimal(subject.volume_rows) / Decimal(comp.volume_rows)) ** VOLUME_ELASTICITY
        ),
        "rights": _bounded(rights_weight(subject.rights) / rights_weight(comp.rights)),
    }
    price = Decimal(comp.price_minor)
    for f in factors.values():
        price *= f
    return price, factors


def market_approach(
    inputs: MarketInputs, comparables_min: int = limits.valuation_comparables_min
) -> ApproachResult:
    """value = mean of the adjusted comparable prices, each weighted by its ``weight`` (1 but
    for older settled trades); range = their min and max. Fewer than
    ``comparables_min`` comparables give no value: "insufficient comparables". The steps show
    each comparable's adjustment and its source."""
    n = len(inputs.comparables)
    if n < comparables_min:
        return ApproachResult(
            approach="market",
            value_minor=None,
            note=f"insufficient comparables: {n} of at least {comparables_min}",
        )
    adjusted = [adjusted_price(inputs, c) for c in inputs.comparables]
    prices = [p for p, _ in adjusted]
    weights = [c.weight for c in inputs.comparables]
    mean = sum((p * w for p, w in zip(prices, weights, strict=True)), Decimal(0)) / sum(
        weights, Decimal(0)
    )
    steps = {
        f"comparable_{i}": (
            f"{to_minor(p)} = {c.price_minor} x "
            + " x ".join(f"{k} {v.quantize(Decimal('0.0001'))}" for k, v in f.items())
        )
        for i, (c, (p, f)) in enumerate(zip(inputs.comparables, adjusted, strict=True))
    }
    # Where each comparable comes from, in the report (and so under its hash): an active
    # listing names itself, a valuer's comparable its reference.
    steps |= {
        f"comparable_{i}_source": f"{c.source}: {c.reference}" if c.reference else c.source
        for i, c in enumerate(inputs.comparables)
    }
    # A comparable that weighs less than 1 (an older settled trade) shows its weight and date.
    steps |= {
        f"comparable_{i}_weight": (
            f"{c.weight.quantize(Decimal('0.0001'))}"
            + ("" if c.traded_at is None else f", settled {c.traded_at.date().isoformat()}")
        )
        for i, c in enumerate(inputs.comparables)
        if c.weight != 1
    }
    return ApproachResult(
        approach="market",
        value_minor=to_minor(mean),
        low_minor=to_minor(min(prices)),
        high_minor=to_minor(max(prices)),
        steps=steps,
    )
