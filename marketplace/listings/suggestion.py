"""A price suggestion for one asset's one-off licence: a range (low, mid, high) from the asset's
latest valuation and from comparable active listings, with the reasoning as plain sentences and
every input it used (pure: the service reads them; no database, no clock).

- **Valuation.** The newest valuation with a value: its range and value, as issued (a valuation
  values the data against settled trades of similar data, which is what a one-off licence is).
- **Comparable listings.** Active listings of other assets of the same theme and classification
  (chosen by the listings service). Only one-off prices compare with a one-off price: fixed and
  public-data listings count; subscriptions (per period), metered and tiered prices (per unit)
  and negotiable ones (no price) are named and left out. Each price is adjusted for size as the
  valuation's market approach does: x (subject size / comparable size) ** 0.5, held within
  [0.5, 2], and left as it is when either size is unknown. Their range is min, median, max.
- **No settled trades.** The suggestion reads none itself (a valuation's market approach does,
  so they reach it only through the valuation), and the reasoning says so rather than pretend.
- **Combined.** With both sources, each bound is the mean of the two sources' bounds (equal
  weight: a valuation is one considered opinion, the listings are what the market asks today).
  With one source, its range. With neither: no suggestion, and the reasoning says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from pydantic import BaseModel, ConfigDict

from marketplace.listings.pricing import AMOUNT_MINOR_MAX
from marketplace.money import Currency
from marketplace.valuation.methods import FACTOR_MAX, FACTOR_MIN, VOLUME_ELASTICITY

ONE_OFF_KINDS: Final = ("fixed", "public_data")
NOTHING_TO_GO_ON: Final = "no valuation and no comparables: no suggestion"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ValuationBasis(_Frozen):
    """The valuation a suggestion used: which one, and its value and range."""

    valuation_id: int
    kind: str
    revision: int
    issued_at: datetime
    value_minor: int
    low_minor: int
    high_minor: int


class ComparableListing(_Frozen):
    """An active listing of a comparable asset, as the suggestion reads it."""

    listing_id: int
    asset_id: int
    price_kind: str
    headline_minor: int | None
    theme: str | None
    classification: str
    size_bytes: int | None


class ComparableUsed(ComparableListing):
    """A comparable listing the range was computed from, with its size adjustment."""

    size_factor: str  # a decimal, e.g. "1.4142"
    adjusted_minor: int


class PriceSuggestion(_Frozen):
    asset_id: int
    currency: str
    currency_scale: int
    low_minor: int | None
    mid_minor: int | None
    high_minor: int | None
    reasoning: list[str]
    valuation: ValuationBasis | None
    comparables: list[ComparableUsed]
    left_out: list[ComparableListing]
    trades: list[int]  # settled trades used: always none (only a valuation reads them)


Range = tuple[int, int, int]


def suggest(
    *,
    asset_id: int,
    currency: Currency,
    subject_size_bytes: int | None,
    valuation: ValuationBasis | None,
    valuations_without_value: int,
    comparables: Sequence[ComparableListing],
) -> PriceSuggestion:
    """The suggested range and why. ``valuations_without_value`` counts the asset's valuations
    newer than ``valuation`` (or all of them, when it is None) that gave no value."""
    reasoning: list[str] = []
    ranges: list[Range] = []
    if valuation is not None:
        ranges.append(_from_valuation(valuation, currency, reasoning))
    _say_unvalued(valuations_without_value, valuation is not None, reasoning)
    used, left_out = _comparables(subject_size_bytes, comparables, currency, reasoning)
    if used:
        ranges.append(_from_comparables(used, currency, reasoning))
    reasoning.append("This suggestion reads no settled trades; a valuation's market approach does.")
    low, mid, high = _combine(ranges, currency, reasoning)
    return PriceSuggestion(
        asset_id=asset_id,
        currency=currency.code,
        currency_scale=currency.scale,
        low_minor=low,
        mid_minor=mid,
        high_minor=high,
        reasoning=reasoning,
        valuation=valuation,
        comparables=used,
        left_out=left_out,
        trades=[],
    )


def _from_valuation(v: ValuationBasis, currency: Currency, reasoning: list[str]) -> Range:
    low, mid, high = (_price(x) for x in (v.low_minor, v.value_minor, v.high_minor))
    reasoning.append(
        f"The latest valuation with a value (#{v.valuation_id}, {v.kind}, of revision "
        f"{v.revision}, issued {v.issued_at:%Y-%m-%d}) values the asset at "
        f"{currency.format(v.value_minor)}, within {currency.format(v.low_minor)} to "
        f"{currency.format(v.high_minor)}."
    )
    return low, mid, high


def _say_unvalued(count: int, have_valuation: bool, reasoning: list[str]) -> None:
    if count == 0 and not have_valuation:
        reasoning.append("The asset has no valuation.")
    elif count:
        newer = "newer " if have_valuation else ""
        said = "valuation gives" if count == 1 else "valuations give"
        reasoning.append(f"{count} {newer}{said} no value, so cannot be used.")


def size_factor(subject_size_bytes: int | None, comparable_size_bytes: int | None) -> Decimal:
    """(subject / comparable) ** 0.5, held within [0.5, 2]; 1 when either size is unknown."""
    if not subject_size_bytes or not comparable_size_bytes:
        return Decimal(1)
    ratio = Decimal(subject_size_bytes) / Decimal(comparable_size_bytes)
    return min(FACTOR_MAX, max(FACTOR_MIN, ratio**VOLUME_ELASTICITY))


def _comparables(
    subject_size_bytes: int | None,
    comparables: Sequence[ComparableListing],
    currency: Currency,
    reasoning: list[str],
) -> tuple[list[ComparableUsed], list[ComparableListing]]:
    used: list[ComparableUsed] = []
    left_out: list[ComparableListing] = []
    for c in comparables:
        if c.price_kind not in ONE_OFF_KINDS or c.headline_minor is None:
            left_out.append(c)
            continue
        factor = size_factor(subject_size_bytes, c.size_bytes)
        adjusted = _price(_round(Decimal(c.headline_minor) * factor))
        used.append(
            ComparableUsed(
                **c.model_dump(),
                size_factor=str(factor.quantize(Decimal("0.0001"))),
                adjusted_minor=adjusted,
            )
        )
        reasoning.append(_comparable_sentence(c, factor, adjusted, currency))
    if not comparables:
        reasoning.append("No active listing of a comparable asset (same theme and classification).")
    if left_out:
        kinds = ", ".join(sorted({c.price_kind for c in left_out}))
        ids = ", ".join(f"#{c.listing_id}" for c in left_out)
        reasoning.append(
            f"Left out {len(left_out)} comparable listing(s) ({ids}) whose price is not one-off "
            f"({kinds}): a price per period or per unit, or no price, does not compare."
        )
    return used, left_out


def _comparable_sentence(
    c: ComparableListing, factor: Decimal, adjusted: int, currency: Currency
) -> str:
    assert c.headline_minor is not None
    theme = c.theme or "no theme"
    asked = f"Listing #{c.listing_id} (asset {c.asset_id}, {theme}, {c.classification}) asks "
    asked += currency.format(c.headline_minor)
    if factor == 1:
        why = "sizes equal" if c.size_bytes else "size unknown"
        return f"{asked}; taken as it is ({why})."
    return (
        f"{asked}; x {factor.quantize(Decimal('0.0001'))} for size "
        f"({c.size_bytes:,} bytes against the asset's) = {currency.format(adjusted)}."
    )


def _from_comparables(
    used: list[ComparableUsed], currency: Currency, reasoning: list[str]
) -> Range:
    prices = sorted(c.adjusted_minor for c in used)
    n = len(prices)
    middle = Decimal(prices[(n - 1) // 2] + prices[n // 2]) / 2
    low, mid, high = prices[0], _round(middle), prices[-1]
    what = "one comparable listing" if n == 1 else f"{n} comparable listings"
    reasoning.append(
        f"The {what} give {currency.format(low)} to {currency.format(high)}, median "
        f"{currency.format(mid)}." + (" One listing is thin evidence." if n == 1 else "")
    )
    return low, mid, high


def _combine(
    ranges: list[Range], currency: Currency, reasoning: list[str]
) -> tuple[int | None, int | None, int | None]:
    if not ranges:
        reasoning.append(NOTHING_TO_GO_ON.capitalize() + ".")
        return None, None, None
    if len(ranges) == 1:
        low, mid, high = ranges[0]
    else:
        low, mid, high = (
            _round(Decimal(sum(bounds)) / len(bounds)) for bounds in zip(*ranges, strict=True)
        )
        reasoning.append(
            "The valuation and the comparable listings weigh equally: each bound is the mean of "
            "the two."
        )
    assert 1 <= low <= mid <= high <= AMOUNT_MINOR_MAX
    reasoning.append(
        f"Suggested: {currency.format(low)} to {currency.format(high)}, "
        f"{currency.format(mid)} in the middle."
    )
    return low, mid, high


def _round(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _price(minor: int) -> int:
    """A price lies in 1 .. 2**63 - 1, whatever the figure it comes from."""
    return min(max(minor, 1), AMOUNT_MINOR_MAX)


__all__ = [
    "NOTHING_TO_GO_ON",
    "ONE_OFF_KINDS",
    "ComparableListing",
    "ComparableUsed",
    "PriceSuggestion",
    "ValuationBasis",
    "size_factor",
    "suggest",
]
