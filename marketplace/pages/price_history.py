"""The price history of comparable trades on the listing page: where each trade and the asking
price fall on the chart. The template (``price_history.html``) draws it as inline SVG, with the
same points in a table under it, so that the labels go through the catalogue and the amounts and
dates through the locale's filters, and every value through autoescaping.

Dates run along x (the oldest trade at the left edge, the newest at the right; one day's trades,
or a single trade, in the middle), the unit price up y from 0 to a round figure above the
highest price or the asking price, with at most ``Y_TICKS_MAX`` gridlines. Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from marketplace.valuation.service import TradePrice

WIDTH: Final = 560
HEIGHT: Final = 280
PLOT_LEFT: Final = 96.0  # room for the price labels
PLOT_RIGHT: Final = 540.0
PLOT_TOP: Final = 20.0
PLOT_BOTTOM: Final = 220.0  # room for the date labels and the x axis title
Y_TICKS_MAX: Final = 5  # gridlines above 0


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    trade: TradePrice
    this_asset: bool  # a trade of the asset on the page, not of a comparable one


@dataclass(frozen=True)
class PriceTick:
    y: float
    amount_minor: int


@dataclass(frozen=True)
class DateTick:
    x: float
    moment: datetime
    anchor: str  # text-anchor of its label: start, middle or end


@dataclass(frozen=True)
class PriceChart:
    """What the template draws; ``points`` oldest first."""

    points: list[ChartPoint]
    asking_minor: int | None
    asking_y: float | None
    price_ticks: list[PriceTick]
    date_ticks: list[DateTick]
    # The frame, for the template (one source of the layout's figures).
    width: int = WIDTH
    height: int = HEIGHT
    left: float = PLOT_LEFT
    right: float = PLOT_RIGHT
    top: float = PLOT_TOP
    bottom: float = PLOT_BOTTOM

    @property
    def line(self) -> str:
        """The points joined, as an SVG ``points`` attribute."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def newest_first(self) -> list[ChartPoint]:
        return self.points[::-1]


def nice_step(top: int, ticks_max: int = Y_TICKS_MAX) -> int:
    """The smallest of 1, 2 or 5 times a power of ten that covers ``top`` (> 0) in at most
    ``ticks_max`` steps."""
    assert top > 0
    power: int = 10 ** max(0, math.floor(math.log10(top / ticks_max)))
    for factor in (1, 2, 5, 10, 20, 50):
        step = factor * power
        if step * ticks_max >= top:
            return step
    raise AssertionError(top)  # unreachable: top < 10 x power x ticks_max


def _y(amount_minor: int, top_minor: int) -> float:
    return PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * amount_minor / top_minor


def price_chart(
    trades: list[TradePrice], asset_id: int, asking_minor: int | None
) -> PriceChart | None:
    """The chart of ``trades`` (oldest first) with the asset's ``asking_minor`` as a level line;
    None when there is no trade (the page says so instead)."""
    if not trades:
        return None
    highest = max([t.unit_price_minor for t in trades] + [asking_minor or 0])
    step = nice_step(max(1, highest))
    top = step * max(1, math.ceil(highest / step))
    first, last = trades[0].settled_at, trades[-1].settled_at
    span_s = (last - first).total_seconds()
    middle = (PLOT_LEFT + PLOT_RIGHT) / 2

    def x(moment: datetime) -> float:
        if span_s <= 0:
            return middle
        return PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * (moment - first).total_seconds() / span_s

    points = [
        ChartPoint(x(t.settled_at), _y(t.unit_price_minor, top), t, t.asset_id == asset_id)
        for t in trades
    ]
    if span_s <= 0:
        dates = [DateTick(middle, first, "middle")]
    else:
        dates = [DateTick(PLOT_LEFT, first, "start"), DateTick(PLOT_RIGHT, last, "end")]
    return PriceChart(
        points=points,
        asking_minor=asking_minor,
        asking_y=None if asking_minor is None else _y(asking_minor, top),
        price_ticks=[PriceTick(_y(v, top), v) for v in range(0, top + 1, step)],
        date_ticks=dates,
    )


__all__ = ["ChartPoint", "DateTick", "PriceChart", "PriceTick", "nice_step", "price_chart"]
