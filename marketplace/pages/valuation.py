"""The valuation report as a page of the site: a bar chart comparing the cost, income and
market approaches (with each one's range, and the combined value and range), the steps behind
each value, and the quality report the valuation relied on (its radar chart).

This module computes the bar chart's geometry (pure functions, no I/O); the templates
``valuation_report.html`` and ``report_macros.html`` draw it, with every word from the catalogue
and every amount in the reader's locale (``report_text.py``). Nothing is loaded from elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.money import Currency
from marketplace.pages.quality import RadarChart, ReportPage, radar_chart
from marketplace.quality.report import QualityReport
from marketplace.valuation.methods import ApproachResult
from marketplace.valuation.report import ValuationReport

APPROACHES = ("cost", "income", "market")
BARS_LEFT = 150.0  # room for the approaches' names
BARS_WIDTH = 420.0
BARS_RIGHT = 150.0  # room for the value after the longest bar
BAR_ROW_HEIGHT = 56.0


@dataclass(frozen=True)
class ApproachBar:
    """One approach's row of the chart; ``width`` is None when it has no value (the row then
    says why)."""

    name: str
    result: ApproachResult | None
    y: float  # the row's top
    width: float | None
    whisker: str  # path data of its own range, "" when it has none
    value_x: float  # where the value is written, after the bar


@dataclass(frozen=True)
class ApproachesChart:
    width: float
    height: float
    left: float
    rows_height: float
    bars: list[ApproachBar]
    range_x: float | None  # the combined range's band, None when there is no range
    range_width: float
    combined_x: float | None  # the combined value's line, None when there is no value


@dataclass(frozen=True)
class ValuationView:
    """The valuation report page's content (``valuation_report.html``)."""

    report: ValuationReport
    valuation_id: int
    asset_id: int
    asset_title: str
    report_hash: str
    currency: Currency
    signature: str | None
    signer: str | None
    chart: ApproachesChart
    quality: QualityReport | None
    quality_hash: str | None
    radar: RadarChart | None


def _bar(name: str, found: ApproachResult | None, index: int, x: _Scale) -> ApproachBar:
    y = 30 + index * BAR_ROW_HEIGHT
    if found is None or found.value_minor is None:
        return ApproachBar(name, found, y, None, "", BARS_LEFT)
    whisker = ""
    if found.low_minor is not None and found.high_minor is not None:
        lo, hi, mid = x(found.low_minor), x(found.high_minor), y + 17
        whisker = f"M{lo:.1f},{mid - 8} v16 M{lo:.1f},{mid} H{hi:.1f} M{hi:.1f},{mid - 8} v16"
    value_x = x(found.value_minor)
    return ApproachBar(
        name, found, y, round(max(value_x - BARS_LEFT, 1), 1), whisker, round(value_x + 6, 1)
    )


class _Scale:
    """Minor units to the chart's x, the largest value at the right end."""

    def __init__(self, top: int) -> None:
        self.top = max(top, 1)

    def __call__(self, minor: int) -> float:
        return BARS_LEFT + BARS_WIDTH * minor / self.top


def approaches_chart(report: ValuationReport) -> ApproachesChart:
    """One horizontal bar per approach; a whisker for an approach's own range; a dashed line
    for the combined value and a band for the combined range. An approach without a value
    says why instead of drawing a bar."""
    by_name: dict[str, ApproachResult] = {a.approach: a for a in report.approaches}
    points = [
        v
        for a in report.approaches
        for v in (a.value_minor, a.low_minor, a.high_minor)
        if v is not None
    ]
    x = _Scale(max([*points, report.high_minor or 0]))
    rows_height = BAR_ROW_HEIGHT * len(APPROACHES)
    has_range = report.low_minor is not None and report.high_minor is not None
    low, high = report.low_minor or 0, report.high_minor or 0
    return ApproachesChart(
        width=BARS_LEFT + BARS_WIDTH + BARS_RIGHT,
        height=40 + rows_height + 30,
        left=BARS_LEFT,
        rows_height=rows_height,
        bars=[_bar(name, by_name.get(name), i, x) for i, name in enumerate(APPROACHES)],
        range_x=round(x(low), 1) if has_range else None,
        range_width=round(max(x(high) - x(low), 1), 1),
        combined_x=None if report.value_minor is None else round(x(report.value_minor), 1),
    )


def valuation_page(
    report: ValuationReport,
    *,
    valuation_id: int,
    asset_id: int,
    asset_title: str,
    report_hash: str,
    scale: int,
    signature: str | None,
    signer: str | None,
    quality: QualityReport | None,
    quality_hash: str | None,
) -> ReportPage:
    view = ValuationView(
        report=report,
        valuation_id=valuation_id,
        asset_id=asset_id,
        asset_title=asset_title,
        report_hash=report_hash,
        currency=Currency(report.currency, scale),
        signature=signature,
        signer=signer,
        chart=approaches_chart(report),
        quality=quality,
        quality_hash=quality_hash,
        radar=None if quality is None else radar_chart(quality.dimensions),
    )
    return ReportPage("valuation_report.html", view)
