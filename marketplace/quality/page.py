"""The quality report as a self-contained HTML page: a radar chart of the six GB/T 36344
dimensions (inline SVG drawn here), the measurements behind each score and the column profile.

Plain string templates: every value from a report goes through ``html.escape``. The page loads
nothing (no script, no font, no stylesheet from elsewhere); its Content-Security-Policy says so.
Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from html import escape
from typing import Any

from marketplace.quality.report import DIMENSIONS, DimensionResult, QualityReport

DIMENSION_LABELS: dict[str, tuple[str, str]] = {
    "normativity": ("Normativity", "规范性"),
    "completeness": ("Completeness", "完整性"),
    "accuracy": ("Accuracy", "准确性"),
    "consistency": ("Consistency", "一致性"),
    "timeliness": ("Timeliness", "时效性"),
    "accessibility": ("Accessibility", "可访问性"),
}
NOT_JUDGED = "not judged"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC",
sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1d2430;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem}
.meta{color:#5a6475;font-size:.9rem;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.9rem}
th,td{border-bottom:1px solid #dde2ea;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f9}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.nj{color:#8a5a00;font-style:italic}.big{font-size:2rem;font-weight:600}
svg text{font-family:inherit}.charts{display:flex;flex-wrap:wrap;gap:1.5rem}
"""


def page(title: str, body: str) -> str:
    """A complete HTML document around ``body`` (already escaped)."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def label(name: str) -> str:
    english, chinese = DIMENSION_LABELS[name]
    return f"{english} {chinese}"


def score_text(score: float | None) -> str:
    return NOT_JUDGED if score is None else f"{score:.2f}"


def _point(cx: float, cy: float, radius: float, index: int, count: int) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / count
    return cx + radius * math.cos(angle), cy + radius * math.sin(angle)


def _points(pairs: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in pairs)


def radar_svg(dimensions: list[DimensionResult]) -> str:
    """Six axes, rings at 25/50/75/100, and the scores as a polygon. A dimension that was not
    judged sits at the centre and its label says "not judged"."""
    by_name = {d.name: d for d in dimensions}
    width, height, cx, cy, radius = 460, 380, 230.0, 190.0, 120.0
    n = len(DIMENSIONS)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="radar" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="Radar chart of the six quality dimensions">'
    ]
    for ring in (25, 50, 75, 100):
        ring_points = _points(_point(cx, cy, radius * ring / 100, i, n) for i in range(n))
        parts.append(
            f'<polygon class="ring" points="{ring_points}" fill="none" stroke="#c9d0dc" '
            'stroke-width="1"/>'
        )
    for i, name in enumerate(DIMENSIONS):
        x, y = _point(cx, cy, radius, i, n)
        parts.append(f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="#c9d0dc"/>')
        lx, ly = _point(cx, cy, radius + 30, i, n)
        anchor = "middle" if abs(lx - cx) < 1 else ("start" if lx > cx else "end")
        found = by_name.get(name)
        judged = found is not None and found.judged and found.score is not None
        value = score_text(found.score if judged and found is not None else None)
        css = "" if judged else ' class="nj"'
        parts.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" font-size="12">'
            f"<tspan>{escape(label(name))}</tspan>"
            f'<tspan x="{lx:.1f}" dy="14"{css} font-weight="600">{escape(value)}</tspan></text>'
        )
    score_points = []
    for i, name in enumerate(DIMENSIONS):
        found = by_name.get(name)
        score = found.score if found is not None and found.judged and found.score else 0.0
        score_points.append(_point(cx, cy, radius * score / 100, i, n))
    parts.append(
        f'<polygon class="scores" points="{_points(score_points)}" fill="#2f6fde" '
        'fill-opacity="0.25" stroke="#2f6fde" stroke-width="2"/>'
    )
    parts.extend(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#2f6fde"/>' for x, y in score_points
    )
    parts.append("</svg>")
    return "".join(parts)


def _measurements(measurements: dict[str, Any]) -> str:
    shown = [f"{escape(k)}: {escape(str(v))}" for k, v in list(measurements.items())[:12]]
    return "<br>".join(shown)


def dimensions_table(report: QualityReport) -> str:
    rows = []
    for d in report.dimensions:
        if d.judged and d.score is not None:
            score = f'<td class="num score">{d.score:.2f}</td>'
            detail = _measurements(d.measurements)
        else:
            score = f'<td class="num score nj">{NOT_JUDGED}</td>'
            detail = f'<span class="nj">{escape(d.reason or "")}</span>'
        rows.append(
            f'<tr data-dimension="{escape(d.name)}"><td>{escape(label(d.name))}</td>{score}'
            f'<td class="num">{report.weights.get(d.name, 0)}</td><td>{detail}</td></tr>'
        )
    return (
        '<table class="dimensions"><thead><tr><th>dimension</th><th>score</th>'
        "<th>weight</th><th>measurements</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return escape(f"{value:.6g}")
    return escape(str(value))


def profile_table(report: QualityReport) -> str:
    with_samples = any(p.samples for p in report.profile)
    head = ["column", "type", "nulls", "null share", "distinct", "min", "max", "mean", "top"]
    if with_samples:
        head.append("samples (owner and operators only)")
    rows = []
    for p in report.profile:
        top = ", ".join(f"{t.value} ({t.count})" for t in p.top_values or [])
        cells = [
            f"<td>{escape(p.name)}</td>",
            f"<td>{escape(p.type)}</td>",
            f'<td class="num">{p.null_count}</td>',
            f'<td class="num">{p.null_share:.2%}</td>',
            # an estimate (large files) is marked as one
            f'<td class="num">{"" if p.distinct_exact else "≈"}{_cell(p.distinct_count)}</td>',
            f'<td class="num">{_cell(p.min)}</td>',
            f'<td class="num">{_cell(p.max)}</td>',
            f'<td class="num">{_cell(p.mean)}</td>',
            f"<td>{escape(top)}</td>",
        ]
        if with_samples:
            cells.append(f'<td class="samples">{escape(", ".join(p.samples or []))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    header = "".join(f"<th>{h}</th>" for h in head)
    return (
        f'<table class="profile"><thead><tr>{header}</tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def quality_section(report: QualityReport, report_hash: str | None) -> str:
    """The report's body: overall score, radar, dimensions, issues and profile."""
    overall = score_text(report.overall)
    issues = "".join(f"<li>{escape(i)}</li>" for i in report.issues)
    return (
        '<section class="quality"><h2>Quality (GB/T 36344-2018)</h2>'
        f'<p>Overall <span class="big overall">{escape(overall)}</span> / 100 '
        f"(weighted over the judged dimensions) · {report.rows} rows &times; "
        f"{report.columns} columns"
        f" · {escape(report.format)} · as of {escape(report.as_of.isoformat())}</p>"
        f'<p class="meta">content sha256 {escape(report.content_sha256)}'
        + (f"<br>report hash {escape(report_hash)}" if report_hash else "")
        + "</p>"
        f'<div class="charts">{radar_svg(report.dimensions)}</div>'
        + dimensions_table(report)
        + (f"<h3>Not judged and structural notes</h3><ul>{issues}</ul>" if issues else "")
        + "<h3>Column profile</h3>"
        + profile_table(report)
        + "</section>"
    )


def quality_page(
    report: QualityReport, *, asset_id: int, asset_title: str, revision: int, report_hash: str
) -> str:
    body = (
        f"<h1>Quality report: {escape(asset_title)}</h1>"
        f'<p class="meta">asset {asset_id}, revision {revision} · anchored in the journal as '
        "<code>quality.assessed</code></p>" + quality_section(report, report_hash)
    )
    return page(f"Quality report, asset {asset_id}", body)
