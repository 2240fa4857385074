"""Data asset valuation: cost, income and market approaches combined into a report."""

from marketplace.valuation.methods import (
    ApproachResult,
    Comparable,
    CostInputs,
    IncomeInputs,
    MarketInputs,
    cost_approach,
    income_approach,
    market_approach,
)
from marketplace.valuation.report import ValuationInputs, ValuationReport, combine

__all__ = [
    "ApproachResult",
    "Comparable",
    "CostInputs",
    "IncomeInputs",
    "MarketInputs",
    "ValuationInputs",
    "ValuationReport",
    "combine",
    "cost_approach",
    "income_approach",
    "market_approach",
]
