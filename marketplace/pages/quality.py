"""The quality report as an HTML page in the site's layout: a radar chart of the six GB/T 36344
dimensions (inline SVG drawn here), the measurements behind each score under readable labels, and
the column profile.

Plain string templates: every value from a report goes through ``html.escape``. The page loads
nothing (no script, no font, no stylesheet from elsewhere); the layout's Content-Security-Policy
says so. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from typing import Any

from marketplace.pages.layout import size_text
from marketplace.quality.report import DIMENSIONS, DimensionResult, QualityReport

DIMENSION_LABELS: dict[str, tuple[str, str]] = {
    "normativity": ("Normativity", "规范性"),
    "completeness": ("Completeness", "完整性"),
    "accuracy": ("Accuracy", "准确性"),
    "consistency": ("Consistency", "一致性"),
    "timeliness": ("Timeliness", "时效性"),
    "accessibility": ("Accessibility", "可访问性"),
}
# Every measurement key the evaluation writes (quality/scoring.py), as a person reads it.
MEASUREMENT_LABELS: dict[str, str] = {
    "schema_source": "Schema",
    "cells_checked": "Cells checked against the schema",
    "cells_nonconforming": "Cells not conforming",
    "undeclared_columns": "Columns not in the declared schema",
    "bom": "Byte order mark",
    "line_ends": "Line ends",
    "line_ends_crlf": "CRLF line ends",
    "line_ends_cr": "Lone CR line ends",
    "cells": "Cells",
    "null_cells": "Empty cells",
    "required_null_cells": "Empty cells in required fields",
    "declared_fields_missing": "Declared fields missing from the file",
    "values_range_checked": "Values checked against declared ranges",
    "values_out_of_range": "Values out of range",
    "outliers_tukey": "Outliers (Tukey fences)",
    "outlier_share": "Outliers among numeric values",
    "outliers_sample_stride": "Outliers looked for in every nth row",
    "checks": "Checks",
    "duplicate_rows": "Duplicate rows",
    "duplicate_keys": "Duplicate primary keys",
    "null_keys": "Rows with an empty primary key",
    "rules_not_checked": "Rules not checked",
    "timestamp_field": "Record time field",
    "newest_record": "Newest record",
    "age_s": "Age of the newest record",
    "update_period_s": "Promised update period",
    "periods_late": "Update periods late",
    "read_back_complete": "Read back in full",
    "parseable": "Parses",
    "content_hash_matches": "Content hash matches the registration",
    "bytes_read": "Size read",
    "sha256": "SHA-256",
    "read_error": "Read error",
    "structure:ragged_rows": "Rows with a wrong number of fields",
    "structure:invalid_utf8_first_offset": "First invalid UTF-8 byte at offset",
    "structure:lone_cr_line_ends": "Lone CR line ends (rows run together)",
}
# Keys that name a column or a rule after the colon.
MEASUREMENT_PREFIX_LABELS: dict[str, str] = {
    "nonconforming": "Cells not conforming in column",
    "nulls": "Empty cells in column",
    "out_of_range": "Values out of range in column",
    "duplicate_values": "Duplicate values in column",
    "rule": "Violations of rule",
}
NOT_JUDGED = "not judged"


@dataclass(frozen=True)
class ReportPage:
    """A report's title and body (HTML, every value escaped), for ``web.report_response``."""

    title: str
    body: str


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


def _judged_score(found: DimensionResult | None) -> float | None:
    return found.score if found is not None and found.judged else None


def _runs(judged: list[bool]) -> list[list[int]]:
    """The axes of each unbroken run of judged dimensions, in order around the chart (a run may
    wrap past the last axis); ``[[0, ..., n-1]]`` when every one is judged."""
    n = len(judged)
    if all(judged):
        return [list(range(n))]
    start = judged.index(False)  # begin just after a gap
    runs: list[list[int]] = []
    current: list[int] = []
    for step in range(1, n + 1):
        i = (start + step) % n
        if judged[i]:
            current.append(i)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _scores_paths(
    points: list[tuple[float, float]], judged: list[bool], cx: float, cy: float
) -> tuple[str, str]:
    """The filled area and the outline of the scores. The area is drawn only in the sectors
    between two neighbouring judged axes and the outline only joins neighbours, so a dimension
    that was not judged leaves a gap instead of pulling the shape to the centre."""
    area, outline = [], []
    for run in _runs(judged):
        path = " L".join(f"{points[i][0]:.1f},{points[i][1]:.1f}" for i in run)
        if len(run) == len(points):
            area.append(f"M{path} Z")
            outline.append(f"M{path} Z")
        elif len(run) > 1:
            area.append(f"M{cx:.1f},{cy:.1f} L{path} Z")
            outline.append(f"M{path}")
    return " ".join(area), " ".join(outline)


def radar_svg(dimensions: list[DimensionResult]) -> str:
    """Six axes, rings at 25/50/75/100, and the judged scores: a dot on each judged axis, the
    area and outline between neighbouring judged axes. A dimension that was not judged has a
    dashed axis, no dot, a gap in the shape, and its label says "not judged"."""
    by_name = {d.name: d for d in dimensions}
    width, height, cx, cy, radius = 560, 380, 280.0, 190.0, 120.0
    n = len(DIMENSIONS)
    scores = [_judged_score(by_name.get(name)) for name in DIMENSIONS]
    judged = [score is not None for score in scores]
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
        dash = "" if judged[i] else ' class="nj" stroke-dasharray="3,4"'
        parts.append(
            f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="#c9d0dc"{dash}/>'
        )
        lx, ly = _point(cx, cy, radius + 30, i, n)
        anchor = "middle" if abs(lx - cx) < 1 else ("start" if lx > cx else "end")
        css = "" if judged[i] else ' class="nj"'
        parts.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" font-size="12">'
            f"<tspan>{escape(label(name))}</tspan>"
            f'<tspan x="{lx:.1f}" dy="14"{css} font-weight="600">'
            f"{escape(score_text(scores[i]))}</tspan></text>"
        )
    points = [_point(cx, cy, radius * (score or 0) / 100, i, n) for i, score in enumerate(scores)]
    area, outline = _scores_paths(points, judged, cx, cy)
    parts.append(f'<path class="scores-area" d="{area}" fill="#2f6fde" fill-opacity="0.25"/>')
    parts.append(
        f'<path class="scores" d="{outline}" fill="none" stroke="#2f6fde" stroke-width="2"/>'
    )
    parts.extend(
        f'<circle class="score" data-dimension="{name}" cx="{x:.1f}" cy="{y:.1f}" r="3" '
        'fill="#2f6fde"/>'
        for name, (x, y), ok in zip(DIMENSIONS, points, judged, strict=True)
        if ok
    )
    parts.append("</svg>")
    return "".join(parts)


def measurement_label(key: str) -> str:
    """``bom`` → ``Byte order mark``; ``nulls:price`` → ``Empty cells in column price``."""
    if key in MEASUREMENT_LABELS:
        return MEASUREMENT_LABELS[key]
    prefix, _, rest = key.partition(":")
    if rest and prefix in MEASUREMENT_PREFIX_LABELS:
        return f"{MEASUREMENT_PREFIX_LABELS[prefix]} {rest}"
    return key.replace("_", " ").capitalize()  # a key this table does not know yet


def measurement_text(key: str, value: Any) -> str:
    """A measurement's value as HTML: yes/no, none, sizes, durations, shares and counts."""
    if value is None or isinstance(value, bool):
        return {None: "none", True: "yes", False: "no"}[value]
    if key == "bytes_read" and isinstance(value, int):
        return size_text(value)
    if key.endswith("_s") and isinstance(value, int):
        return escape(str(timedelta(seconds=value)))
    if key == "outlier_share" and isinstance(value, float):
        return escape(f"{value:.2%}")
    if isinstance(value, int):
        return escape(f"{value:,}")
    return escape(str(value))


def _measurements(measurements: dict[str, Any]) -> str:
    items = "".join(
        f'<li><span class="k">{escape(measurement_label(k))}:</span> {measurement_text(k, v)}</li>'
        for k, v in list(measurements.items())[:12]
    )
    return f'<ul class="measures">{items}</ul>'


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
        f'<p class="meta report-meta">content sha256 {escape(report.content_sha256)}'
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
) -> ReportPage:
    body = (
        f"<h1>Quality report: {escape(asset_title)}</h1>"
        f'<p class="meta">asset {asset_id}, revision {revision} · anchored in the journal as '
        "<code>quality.assessed</code></p>" + quality_section(report, report_hash)
    )
    return ReportPage(f"Quality report, asset {asset_id}", body)
