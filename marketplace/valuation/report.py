"""A valuation report: the approaches that had inputs, combined into one value and a range,
with the weights shown. Its canonical hash is what the ledger entry ``valuation.issued`` holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, DecimalException
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ledger.canonical import canonical_json, keccak256, to_hex
from marketplace import limits
from marketplace.errors import Unprocessable
from marketplace.money import Currency
from marketplace.quality.report import QualityReport
from marketplace.valuation.methods import (
    ApproachResult,
    CostInputs,
    IncomeInputs,
    MarketInputs,
    cost_approach,
    income_approach,
    market_approach,
    to_minor,
)

REPORT_VERSION = 1
Kind = Literal["indicative", "certified"]  # certified: signed by an account with role valuer
Approach = Literal["cost", "income", "market"]
DEFAULT_WEIGHTS: dict[Approach, int] = {"cost": 30, "income": 40, "market": 30}
Weight = Annotated[int, Field(strict=True, le=limits.valuation_weight_max)]
_Inputs = TypeVar("_Inputs", bound=BaseModel)


class ValuationInputs(BaseModel):
    """What a valuation is computed from; any approach may be left out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cost: CostInputs | None = None
    income: IncomeInputs | None = None
    market: MarketInputs | None = None
    weights: dict[Approach, Weight] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[str, int]) -> dict[str, int]:
        if any(w < 0 for w in value.values()) or sum(value.values()) == 0:
            raise ValueError("weights must be non-negative and not all zero")
        return value


class ValuationReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = REPORT_VERSION
    kind: Kind
    subject: str  # e.g. "asset:42@revision:3"
    currency: str
    currency_scale: int  # amounts are integers of 10**-currency_scale units
    issued_at: datetime
    quality_report_hash: str | None = None
    approaches: list[ApproachResult]
    weights_applied: dict[str, int]  # over the approaches that gave a value
    value_minor: int | None
    low_minor: int | None
    high_minor: int | None
    note: str | None = None

    def canonical_payload(self) -> Any:
        return self.model_dump(mode="json")

    def report_hash(self) -> str:
        return to_hex(keccak256(canonical_json(self.canonical_payload())))


def _checked(
    approach: Approach, method: Callable[[_Inputs], ApproachResult], inputs: _Inputs
) -> ApproachResult:
    """The approach's result, every amount in it (value, low, high) at most
    ``valuation_amount_minor_max``: the one place each method's amounts are bounded. Inputs
    whose result is larger, or too large for ``Decimal`` to compute, are refused (422) with
    the approach's inputs named, before anything is written."""
    bound = limits.valuation_amount_minor_max
    try:
        result: ApproachResult | None = method(inputs)
    except DecimalException:
        result = None
    amounts = () if result is None else (result.value_minor, result.low_minor, result.high_minor)
    if result is None or any(a is not None and a > bound for a in amounts):
        raise Unprocessable(
            f"'inputs.{approach}': these inputs give a value beyond {bound} minor units, the "
            "largest a valuation holds (valuation_amount_minor_max in marketplace/limits.py); "
            "check the amounts, rates and horizon"
        )
    return result


def combine(
    inputs: ValuationInputs,
    *,
    kind: Kind,
    subject: str,
    currency: Currency,
    issued_at: datetime,
    quality_report_hash: str | None = None,
) -> ValuationReport:
    """Run each approach that has inputs; the value is the weighted mean of those that gave a
    value (weights renormalised over them); the range runs from the lowest to the highest of
    their values and the market approach's own range."""
    assert issued_at.tzinfo is not None
    results: list[ApproachResult] = []
    if inputs.cost is not None:
        results.append(_checked("cost", cost_approach, inputs.cost))
    if inputs.income is not None:
        results.append(_checked("income", income_approach, inputs.income))
    if inputs.market is not None:
        results.append(_checked("market", market_approach, inputs.market))
    valued = [r for r in results if r.value_minor is not None]
    applied = {r.approach: inputs.weights.get(r.approach, 0) for r in valued}
    total = sum(applied.values())
    report = partial(
        ValuationReport,
        kind=kind,
        subject=subject,
        currency=currency.code,
        currency_scale=currency.scale,
        issued_at=issued_at,
        quality_report_hash=quality_report_hash,
        approaches=results,
        weights_applied=applied,
    )
    if not valued or total == 0:
        return report(
            value_minor=None,
            low_minor=None,
            high_minor=None,
            note="no approach with a positive weight had enough inputs to give a value",
        )
    value = sum(
        (Decimal(applied[r.approach]) * Decimal(r.value_minor or 0) for r in valued), Decimal(0)
    ) / Decimal(total)
    points = [r.value_minor for r in valued if r.value_minor is not None]
    points += [p for r in valued for p in (r.low_minor, r.high_minor) if p is not None]
    combined = to_minor(value)
    assert min(points) <= combined <= max(points)
    return report(
        value_minor=combined,
        low_minor=min(points),
        high_minor=max(points),
    )


def with_quality(inputs: ValuationInputs, report: QualityReport | None) -> ValuationInputs:
    """Fill the cost approach's missing quality and timeliness scores from the quality report."""
    if inputs.cost is None or report is None:
        return inputs
    timeliness = report.dimension("timeliness")
    fills: dict[str, Decimal] = {}
    if inputs.cost.quality_score is None and report.overall is not None:
        fills["quality_score"] = Decimal(str(report.overall))
    if inputs.cost.timeliness_score is None and timeliness.score is not None:
        fills["timeliness_score"] = Decimal(str(timeliness.score))
    if not fills:
        return inputs
    return inputs.model_copy(update={"cost": inputs.cost.model_copy(update=fills)})
