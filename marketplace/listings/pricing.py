"""What a listing costs: ``price_for(model, quantity)`` for every price model, in integer minor
units (pure: no I/O, no clock).

``quantity`` means what the model counts, and ``None`` means one:

- ``fixed``: one licence (quantity 1) for ``amount_minor``;
- ``subscription``: quantity is the number of periods, each ``amount_minor``; auto-renewal (off
  by default) is the orders' business, not the price's;
- ``metered``: quantity is the units (rows or API calls), each ``unit_price_minor``, the total
  never more than ``cap_minor``;
- ``tiered``: quantity is the units, graduated: each unit at the price of its tier (below);
- ``negotiable``: no price; refused with ``QuoteRequired`` (409): the price forms by a quote;
- ``public_data``: one licence for ``price_minor``, refused if above the ceiling cost + margin.

**Tiers are graduated, not volume.** A tier ``{from_units: n, unit_price_minor: p}`` prices
every unit after the first n at p, up to where the next tier starts (the first tier starts at 0).
With tiers from 0 at 10 and from 100 at 8, 150 units cost 100 x 10 + 50 x 8 = 1,400. Under
*volume* pricing every unit would cost the price of the tier the whole quantity reaches
(150 x 8 = 1,200), so 101 units would cost less than 100 (808 < 1,000): a buyer is paid to take
more than it wants, and the total jumps at each boundary. Graduated totals never fall as the
quantity grows, so a cap or a budget means what it says.
``tests/marketplace/listings/test_pricing.py`` checks both sides of every tier's boundary.

Every result lies in 1 .. 2**63 - 1 (a 64-bit signed column, and the books' amounts): a total
past it is refused with ``PriceOutOfRange`` (422), never wrapped or clipped. Python integers do
not overflow, so the check is on the exact total.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from marketplace.errors import Conflict, Unprocessable
from marketplace.listings.price_models import (
    Fixed,
    Metered,
    Negotiable,
    PriceModel,
    PublicData,
    Subscription,
    Tiered,
)

AMOUNT_MINOR_MAX = 2**63 - 1  # a price, like every amount, fits a 64-bit signed integer
BASIS_POINTS = 10_000


class QuoteRequired(Conflict):
    code = "quote_required"


class PriceOutOfRange(Unprocessable):
    code = "price_out_of_range"


class InvalidQuantity(Unprocessable):
    code = "invalid_quantity"


class PriceAboveCeiling(Unprocessable):
    code = "price_above_ceiling"


class _Tier(Protocol):
    @property
    def from_units(self) -> int: ...
    @property
    def unit_price_minor(self) -> int: ...


def price_for(model: PriceModel, quantity: int | None = None) -> int:
    """The price of ``quantity`` (periods or units; None means 1) under ``model``, in minor units.

    Raises ``QuoteRequired`` for a negotiable model, ``InvalidQuantity`` for a quantity the model
    cannot sell, ``PriceOutOfRange`` for a total past 2**63 - 1.
    """
    count = _quantity(quantity)
    match model:
        case Fixed():
            total = _single(model.amount_minor, count, "a fixed price")
        case Subscription():
            total = model.amount_minor * count
        case Metered():
            total = min(model.unit_price_minor * count, model.cap_minor)
        case Tiered():
            total = graduated_total(model.tiers, count)
        case PublicData():
            _check_ceiling(model)
            total = _single(model.price_minor, count, "a public-data price")
        case Negotiable():
            raise QuoteRequired(
                "this listing's price is negotiable: it has no list price; ask the supplier "
                "for a quote"
            )
    return _in_range(total)


def ceiling_minor(model: PublicData) -> int:
    """The most a public-data listing may charge: cost plus the margin (``margin_bp`` basis
    points of the cost), rounded down to a whole minor unit so the margin is never exceeded."""
    return model.cost_minor + model.cost_minor * model.margin_bp // BASIS_POINTS


def graduated_total(tiers: Sequence[_Tier], units: int) -> int:
    """``units`` units, the unit at position i (0-based) at the price of the last tier whose
    ``from_units`` is at most i (see the module docstring). O(number of tiers), whatever the
    quantity."""
    ordered = sorted(tiers, key=lambda t: t.from_units)
    assert ordered, "a tiered model has at least one tier"
    ends = [t.from_units for t in ordered[1:]] + [units]
    total = 0
    for i, (tier, end) in enumerate(zip(ordered, ends, strict=True)):
        start = 0 if i == 0 else tier.from_units
        total += max(0, min(units, end) - start) * tier.unit_price_minor
    return total


def _quantity(quantity: int | None) -> int:
    count = 1 if quantity is None else quantity
    if not 1 <= count <= AMOUNT_MINOR_MAX:
        raise InvalidQuantity(f"quantity must be between 1 and {AMOUNT_MINOR_MAX}, not {count}")
    return count


def _single(amount_minor: int, count: int, what: str) -> int:
    if count != 1:
        raise InvalidQuantity(f"{what} buys one licence: quantity must be 1, not {count}")
    return amount_minor


def _check_ceiling(model: PublicData) -> None:
    ceiling = ceiling_minor(model)
    if model.price_minor > ceiling:
        raise PriceAboveCeiling(
            f"a public-data price may not exceed cost plus margin: {model.price_minor} > "
            f"{ceiling} ({model.cost_minor} + {model.margin_bp} bp)"
        )


def _in_range(total: int) -> int:
    if total > AMOUNT_MINOR_MAX:
        raise PriceOutOfRange(
            f"the total {total} exceeds the largest amount the exchange records "
            f"({AMOUNT_MINOR_MAX}): buy a smaller quantity"
        )
    assert total >= 1, "every price model's amounts are at least 1"
    return total


__all__ = [
    "AMOUNT_MINOR_MAX",
    "InvalidQuantity",
    "PriceAboveCeiling",
    "PriceOutOfRange",
    "QuoteRequired",
    "ceiling_minor",
    "graduated_total",
    "price_for",
]
