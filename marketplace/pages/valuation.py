"""The valuation report's HTML body (shown in the site's layout): a bar chart comparing the
cost, income and market approaches (with each one's range, and the combined value and range),
the steps behind each value, and the quality report the valuation relied on (its radar chart).

Plain string templates with ``html.escape``; inline SVG drawn here; nothing is loaded from
elsewhere. Pure: no I/O.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from html import escape

from marketplace.money import amount_text
from marketplace.pages.quality import ReportPage, quality_section
from marketplace.quality.report import QualityReport
from marketplace.valuation.methods import ApproachResult
from marketplace.valuation.report import ValuationReport

APPROACHES = ("cost", "income", "market")
APPROACH_LABELS = {"cost": "Cost 成本法", "income": "Income 收益法", "market": "Market 市场法"}
# The steps each method writes (valuation/methods.py), as a person reads them.
STEP_LABELS = {
    "replacement_cost_minor": "Replacement cost",
    "profit_rate": "Profit rate",
    "value_adjustment": "Value adjustment for quality and timeliness",
}
YEAR_STEP = re.compile(r"year_(\d+)_minor")
COMPARABLE_STEP = re.compile(r"comparable_(\d+)")
COMPARABLE_SOURCE_STEP = re.compile(r"comparable_(\d+)_source")
# "<adjusted price> = <price> x quality 1.0000 x timeliness ...", both prices in minor units.
TIMES = "\N{MULTIPLICATION SIGN}"
COMPARABLE_TEXT = re.compile(r"(\d+) = (\d+) x (.+)")


def _percent(text: str) -> str:
    """``0.1`` → ``10%``; text that is not a number is shown as it is."""
    try:
        return f"{(Decimal(text) * 100).normalize():f}%"
    except InvalidOperation:
        return text


def step_text(key: str, value: str, currency: str, scale: int) -> tuple[str, str]:
    """A method's step as (label, value) for a person: amounts in the currency, rates in
    percent, comparables as adjusted price = price x factors. Steps this table does not know
    are shown as written."""
    year = YEAR_STEP.fullmatch(key)
    comparable = COMPARABLE_STEP.fullmatch(key)
    if key.endswith("_minor") and value.isdigit():
        label = f"Year {year.group(1)}, discounted" if year else STEP_LABELS.get(key, key)
        return label, amount_text(int(value), currency, scale)
    if key in ("profit_rate", "value_adjustment"):
        return STEP_LABELS[key], _percent(value)
    source = COMPARABLE_SOURCE_STEP.fullmatch(key)
    if source:
        return f"Comparable {int(source.group(1)) + 1}, from", value
    parts = COMPARABLE_TEXT.fullmatch(value)
    if comparable and parts:
        adjusted, price, factors = parts.groups()
        product = f" {TIMES} ".join(
            [amount_text(int(price), currency, scale), *factors.split(" x ")]
        )
        label = f"Comparable {int(comparable.group(1)) + 1}"
        return label, f"{amount_text(int(adjusted), currency, scale)} = {product}"
    return key, value


def approaches_svg(report: ValuationReport, scale: int) -> str:
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
    top = max([*points, report.high_minor or 0, 1])
    left, width, row_h = 150.0, 420.0, 56.0
    height = 40 + row_h * len(APPROACHES) + 30

    def x(v: int) -> float:
        return left + width * v / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="approaches" width="{left + width + 150}"'
        f' height="{height}" viewBox="0 0 {left + width + 150} {height}" role="img"'
        ' aria-label="Values by approach">'
    ]
    if report.low_minor is not None and report.high_minor is not None:
        parts.append(
            f'<rect class="range" x="{x(report.low_minor):.1f}" y="20" '
            f'width="{max(x(report.high_minor) - x(report.low_minor), 1):.1f}" '
            f'height="{row_h * len(APPROACHES):.1f}" fill="#f2c14e" fill-opacity="0.18"/>'
        )
    for i, name in enumerate(APPROACHES):
        y = 30 + i * row_h
        found = by_name.get(name)
        parts.append(
            f'<text x="{left - 10}" y="{y + 20}" text-anchor="end" font-size="13">'
            f"{escape(APPROACH_LABELS[name])}</text>"
        )
        if found is None or found.value_minor is None:
            why = "no inputs" if found is None else (found.note or "no value")
            parts.append(
                f'<text class="nj" x="{left + 6}" y="{y + 20}" font-size="12" fill="#8a5a00">'
                f"{escape(why)}</text>"
            )
            continue
        parts.append(
            f'<rect class="bar" data-approach="{name}" x="{left}" y="{y + 6}" '
            f'width="{max(x(found.value_minor) - left, 1):.1f}" height="22" fill="#2f6fde"/>'
        )
        if found.low_minor is not None and found.high_minor is not None:
            lo, hi, mid = x(found.low_minor), x(found.high_minor), y + 17
            parts.append(
                f'<path class="whisker" d="M{lo:.1f},{mid - 8} v16 M{lo:.1f},{mid} H{hi:.1f} '
                f'M{hi:.1f},{mid - 8} v16" stroke="#1d2430" stroke-width="1.5" fill="none"/>'
            )
        parts.append(
            f'<text x="{x(found.value_minor) + 6:.1f}" y="{y + 22}" font-size="12">'
            f"{escape(amount_text(found.value_minor, report.currency, scale))}</text>"
        )
    if report.value_minor is not None:
        cx = x(report.value_minor)
        parts.append(
            f'<line class="combined" x1="{cx:.1f}" y1="16" x2="{cx:.1f}" '
            f'y2="{24 + row_h * len(APPROACHES):.1f}" stroke="#c0392b" stroke-width="2" '
            'stroke-dasharray="5,4"/>'
            f'<text x="{cx:.1f}" y="{height - 8}" text-anchor="middle" font-size="12" '
            'fill="#c0392b">combined '
            f"{escape(amount_text(report.value_minor, report.currency, scale))}"
            "</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _approaches_table(report: ValuationReport, scale: int) -> str:
    rows = []
    for a in report.approaches:
        rng = (
            f"{escape(amount_text(a.low_minor, report.currency, scale))} &ndash; "
            f"{escape(amount_text(a.high_minor, report.currency, scale))}"
            if a.low_minor is not None and a.high_minor is not None
            else ""
        )
        steps = "".join(
            f'<li><span class="k">{escape(label)}:</span> {escape(text)}</li>'
            for label, text in (step_text(k, v, report.currency, scale) for k, v in a.steps.items())
        )
        weight = report.weights_applied.get(a.approach)
        rows.append(
            f'<tr data-approach="{a.approach}"><td>{escape(APPROACH_LABELS[a.approach])}</td>'
            '<td class="num value">'
            f"{escape(amount_text(a.value_minor, report.currency, scale))}</td>"
            f'<td class="num">{rng}</td>'
            f'<td class="num">{"" if weight is None else weight}</td>'
            f'<td><ul class="measures">{steps}</ul>{escape(a.note or "")}</td></tr>'
        )
    return (
        '<table class="approaches"><thead><tr><th>approach</th><th>value</th><th>range</th>'
        "<th>weight</th><th>steps</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
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
    value = amount_text(report.value_minor, report.currency, scale)
    span = (
        f"range {escape(amount_text(report.low_minor, report.currency, scale))} &ndash; "
        f"{escape(amount_text(report.high_minor, report.currency, scale))}"
        if report.low_minor is not None and report.high_minor is not None
        else escape(report.note or "")
    )
    kind = (
        f"certified, signed (EIP-712) by valuer {escape(signer or '')}"
        if report.kind == "certified"
        else "indicative (issued from what the exchange knows)"
    )
    body = (
        f"<h1>Valuation {valuation_id}: {escape(asset_title)}</h1>"
        f'<p class="meta report-meta">{escape(report.subject)} · {kind} · issued '
        f"{escape(report.issued_at.isoformat())}<br>report hash {escape(report_hash)}"
        + (f"<br>signature {escape(signature)}" if signature else "")
        + "</p>"
        f'<p>Value <span class="big value">{escape(value)}</span> · {span}</p>'
        "<h2>Approaches</h2>"
        f'<div class="charts">{approaches_svg(report, scale)}</div>'
        + _approaches_table(report, scale)
        + (
            quality_section(quality, quality_hash)
            if quality is not None
            else '<p class="nj">No quality report was available for this valuation.</p>'
        )
    )
    return ReportPage(f"Valuation {valuation_id}, asset {asset_id}", body)
