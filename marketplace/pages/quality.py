"""The quality report as a page of the site: a radar chart of the six GB/T 36344 dimensions
(inline SVG), the measurements behind each score under readable labels, and the column profile.

This module computes the radar's geometry (pure functions, no I/O); the templates
``quality_report.html`` and ``report_macros.html`` draw it, with every word from the catalogue
and every number in the reader's locale (``report_text.py``). The page loads nothing from
elsewhere; the layout's Content-Security-Policy says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from marketplace.quality.report import DIMENSIONS, DimensionResult, QualityReport

RADAR_WIDTH, RADAR_HEIGHT = 560, 380
RADAR_CENTRE = (280.0, 190.0)
RADAR_RADIUS = 120.0
RADAR_LABEL_GAP = 30.0
RADAR_RINGS = (25, 50, 75, 100)


@dataclass(frozen=True)
class ReportPage:
    """A report page for ``web.report_response``: its template and the template's ``view``."""

    template: str
    view: object


@dataclass(frozen=True)
class RadarAxis:
    name: str  # the dimension
    x: float  # where the axis ends
    y: float
    label_x: float
    label_y: float
    anchor: str  # the label's text-anchor
    score: float | None  # None: not judged


@dataclass(frozen=True)
class RadarDot:
    name: str
    x: float
    y: float


@dataclass(frozen=True)
class RadarChart:
    """What the radar macro draws, every coordinate in the SVG's user units."""

    width: int
    height: int
    cx: float
    cy: float
    rings: list[str]  # polygon points, innermost first
    axes: list[RadarAxis]
    area: str  # path data of the filled area
    outline: str  # path data of the outline
    dots: list[RadarDot]


@dataclass(frozen=True)
class QualityView:
    """The quality report page's content (``quality_report.html``)."""

    report: QualityReport
    asset_id: int
    asset_title: str
    revision: int
    report_hash: str
    radar: RadarChart


def _point(cx: float, cy: float, radius: float, index: int, count: int) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / count
    return round(cx + radius * math.cos(angle), 1), round(cy + radius * math.sin(angle), 1)


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


def _axis(name: str, index: int, score: float | None) -> RadarAxis:
    cx, cy = RADAR_CENTRE
    n = len(DIMENSIONS)
    x, y = _point(cx, cy, RADAR_RADIUS, index, n)
    lx, ly = _point(cx, cy, RADAR_RADIUS + RADAR_LABEL_GAP, index, n)
    anchor = "middle" if abs(lx - cx) < 1 else ("start" if lx > cx else "end")
    return RadarAxis(name, x, y, lx, ly, anchor, score)


def radar_chart(dimensions: list[DimensionResult]) -> RadarChart:
    """Six axes, rings at 25/50/75/100, and the judged scores: a dot on each judged axis, the
    area and outline between neighbouring judged axes. A dimension that was not judged has a
    dashed axis, no dot, a gap in the shape, and its label says "not judged"."""
    by_name = {d.name: d for d in dimensions}
    cx, cy = RADAR_CENTRE
    n = len(DIMENSIONS)
    scores = [_judged_score(by_name.get(name)) for name in DIMENSIONS]
    judged = [score is not None for score in scores]
    rings = [
        _points(_point(cx, cy, RADAR_RADIUS * ring / 100, i, n) for i in range(n))
        for ring in RADAR_RINGS
    ]
    points = [
        _point(cx, cy, RADAR_RADIUS * (score or 0) / 100, i, n) for i, score in enumerate(scores)
    ]
    area, outline = _scores_paths(points, judged, cx, cy)
    return RadarChart(
        width=RADAR_WIDTH,
        height=RADAR_HEIGHT,
        cx=cx,
        cy=cy,
        rings=rings,
        axes=[_axis(name, i, scores[i]) for i, name in enumerate(DIMENSIONS)],
        area=area,
        outline=outline,
        dots=[
            RadarDot(name, x, y)
            for name, (x, y), ok in zip(DIMENSIONS, points, judged, strict=True)
            if ok
        ],
    )


def quality_page(
    report: QualityReport, *, asset_id: int, asset_title: str, revision: int, report_hash: str
) -> ReportPage:
    view = QualityView(
        report=report,
        asset_id=asset_id,
        asset_title=asset_title,
        revision=revision,
        report_hash=report_hash,
        radar=radar_chart(report.dimensions),
    )
    return ReportPage("quality_report.html", view)
