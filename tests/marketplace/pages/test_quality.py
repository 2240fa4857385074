"""The quality report page's rendering: readable measurement labels in the reader's language,
and a radar chart that leaves a gap where a dimension was not judged (never a 0 at the
centre)."""

# Full-width Chinese punctuation and the multiplication sign are asserted as a reader sees them.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from pathlib import Path

from marketplace.pages.quality import radar_chart
from marketplace.pages.report_text import MEASUREMENT_LABELS, MEASUREMENT_PREFIX_LABELS
from marketplace.quality import evaluate
from marketplace.quality.report import DIMENSIONS, DimensionResult, QualityReport
from tests.marketplace.pages.reports.render import render_macro
from tests.marketplace.pages.reports.render import text_of as _text
from tests.marketplace.quality.defects import AS_OF, write_table
from tests.marketplace.quality.test_evaluation import DECLARED

CENTRE = (280.0, 190.0)


def radar_svg(dimensions: list[DimensionResult], locale: str = "en") -> str:
    return render_macro("radar", radar_chart(dimensions), locale=locale)


def dimensions_table(report: QualityReport, locale: str = "en") -> str:
    return render_macro("dimensions_table", report, locale=locale)


def _path_points(svg: str, css: str) -> list[tuple[float, float]]:
    d = re.search(rf'<path class="{css}" d="([^"]*)"', svg)
    assert d is not None
    return [(float(x), float(y)) for x, y in re.findall(r"([\d.]+),([\d.]+)", d.group(1))]


def _dimensions(scores: dict[str, float | None]) -> list[DimensionResult]:
    return [
        DimensionResult.model_validate(
            {"name": n, "judged": s is not None, "score": s, "reason": None if s else "why"}
        )
        for n, s in scores.items()
    ]


def _measurements_html(dimensions: list[DimensionResult]) -> str:
    report = QualityReport.model_construct(dimensions=dimensions, weights={})
    return dimensions_table(report)


def test_every_measurement_of_a_real_report_has_a_readable_label(tmp_path: Path) -> None:
    report = evaluate(write_table(tmp_path / "t.csv"), fmt="csv", declared=DECLARED, as_of=AS_OF)
    keys = {k for d in report.dimensions for k in d.measurements}

    unlabelled = {
        k
        for k in keys
        if k not in MEASUREMENT_LABELS and k.partition(":")[0] not in MEASUREMENT_PREFIX_LABELS
    }
    shown = _text(dimensions_table(report))

    assert unlabelled == set()
    assert "Byte order mark: no" in shown
    assert "Read error: none" in shown
    assert "Read back in full: yes" in shown
    assert "Values out of range in column score: 10" in shown
    assert "Promised update period: 1 day" in shown
    assert "bom:" not in shown
    assert "read_error" not in shown
    assert "False" not in shown
    assert "None" not in shown


def test_an_unjudged_dimension_is_a_gap_on_the_radar_not_a_zero() -> None:
    scores: dict[str, float | None] = dict.fromkeys(DIMENSIONS, 80.0)
    scores["accuracy"] = None
    scores["timeliness"] = None

    svg = radar_svg(_dimensions(scores))

    outline = _path_points(svg, "scores")
    assert outline, svg
    assert CENTRE not in outline  # nothing is pulled to the centre
    assert re.findall(r'<circle class="score" data-dimension="(\w+)"', svg) == [
        "normativity",
        "completeness",
        "consistency",
        "accessibility",
    ]
    # accessibility-normativity-completeness are joined; consistency, between the two gaps, is
    # a dot joined to nothing; the outline is open
    d = re.search(r'<path class="scores" d="([^"]*)"', svg)
    assert d is not None
    assert d.group(1).count("M") == 1
    assert "Z" not in d.group(1)
    assert len(outline) == 3
    assert _text(svg).count("not judged") == 2


def test_a_fully_judged_radar_is_one_closed_shape_and_a_judged_zero_sits_at_the_centre() -> None:
    scores: dict[str, float | None] = dict.fromkeys(DIMENSIONS, 100.0)
    scores["completeness"] = 0.0

    svg = radar_svg(_dimensions(scores))

    outline = re.search(r'<path class="scores" d="([^"]*)"', svg)
    assert outline is not None
    assert outline.group(1).count("M") == 1
    assert outline.group(1).endswith("Z")
    assert _path_points(svg, "scores")[1] == CENTRE  # a real 0 is drawn as one
    assert len(re.findall(r'<circle class="score"', svg)) == 6
    assert "not judged" not in svg


def test_measurement_labels_and_values_from_data_are_escaped() -> None:
    dimension = DimensionResult.model_validate(
        {
            "name": "consistency",
            "judged": True,
            "score": 50.0,
            "measurements": {"rule:<script>x</script>": 3, "nulls:<b>": "<i>"},
        }
    )

    html = _measurements_html([dimension])

    assert "<script>" not in html
    assert "<b>" not in html
    assert "Violations of rule &lt;script&gt;x&lt;/script&gt;:" in html
    assert "Empty cells in column &lt;b&gt;:</span> &lt;i&gt;" in html


def test_measurements_read_in_chinese_with_locale_numbers_and_durations(tmp_path: Path) -> None:
    report = evaluate(write_table(tmp_path / "t.csv"), fmt="csv", declared=DECLARED, as_of=AS_OF)

    shown = _text(dimensions_table(report, locale="zh_CN"))

    assert "规范性" in shown
    assert "字节顺序标记（BOM）： 否" in shown
    assert "读取错误： 无" in shown
    assert "完整读回： 是" in shown
    assert "score 列中超出取值范围的值： 10" in shown
    assert "承诺的更新周期： 1天" in shown
    for english in ("Byte order mark", "Promised update period", "day", "yes", "Normativity"):
        assert english not in shown


def test_the_radar_speaks_the_readers_language() -> None:
    scores: dict[str, float | None] = dict.fromkeys(DIMENSIONS, 87.5)
    scores["timeliness"] = None

    en = _text(radar_svg(_dimensions(scores)))
    zh = _text(radar_svg(_dimensions(scores), locale="zh_CN"))

    assert en == (
        "Normativity 87.50 Completeness 87.50 Accuracy 87.50 Consistency 87.50 "
        "Timeliness not judged Accessibility 87.50"
    )
    assert zh == (
        "规范性 87.50 完整性 87.50 准确性 87.50 一致性 87.50 时效性 未评价 可访问性 87.50"
    )
