"""The HTML reports in a real browser (the system Chromium through Playwright), on both
databases: what a person sees, and a screenshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.browser_fixtures import PNG_MAGIC
from tests.marketplace.assets.helpers import Party, registered_listed
from tests.marketplace.identity.helpers import serve
from tests.marketplace.valuation.helpers import COST, INCOME, MARKET

playwright_sync = pytest.importorskip("playwright.sync_api")
DIMENSION_LABELS = (
    "Normativity",
    "Completeness",
    "Accuracy",
    "Consistency",
    "Timeliness",
    "Accessibility",
)
DIMENSION_LABELS_ZH = ("规范性", "完整性", "准确性", "一致性", "时效性", "可访问性")


@pytest.fixture
def base_url(asset_runtime: Runtime) -> Iterator[str]:
    with serve(create_app(runtime=asset_runtime)) as url:
        yield url


def test_a_buyer_sees_the_valuation_report_with_both_charts(
    *,
    api: TestClient,
    supplier: Party,
    ops: Party,
    base_url: str,
    browser: playwright_sync.Browser,
    tmp_path: Path,
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    r = api.post(
        f"/assets/{asset_id}/valuations",
        json={"inputs": {"cost": COST, "income": INCOME, "market": MARKET}},
        headers=supplier.headers,
    )
    assert r.status_code == 201, r.text
    valuation = r.json()
    quality = api.get(f"/assets/{asset_id}/quality").json()["report"]
    requests: list[str] = []
    page = browser.new_page()
    page.on("request", lambda req: requests.append(req.url))

    page.goto(f"{base_url}/assets/{asset_id}/valuations/{valuation['id']}/report.html")

    text = page.inner_text("body")
    for label in DIMENSION_LABELS:
        assert label in text
    for d in quality["dimensions"]:
        row = page.locator(f'table.dimensions tr[data-dimension="{d["name"]}"] td.score')
        expected = "not judged" if d["score"] is None else f"{d['score']:.2f}"
        assert row.inner_text() == expected, d["name"]
    assert "not judged" in text
    judged = [d["name"] for d in quality["dimensions"] if d["score"] is not None]
    dots = page.locator("svg.radar circle.score")
    assert [dots.nth(i).get_attribute("data-dimension") for i in range(dots.count())] == judged
    assert len(judged) < 6  # the sample CSV leaves some dimensions unjudged: drawn as gaps
    outline = page.locator("svg.radar path.scores").get_attribute("d") or ""
    assert "280.0,190.0" not in outline  # no score is pulled to the centre
    assert "Byte order mark: no" in text
    assert "bom: False" not in text
    assert "read_error" not in text
    assert "Replacement cost: CN¥300,000.00" in text
    assert "_minor" not in text
    assert "Catalog" in page.locator("header nav").inner_text()  # the site's header
    for approach in valuation["report"]["approaches"]:
        cell = page.locator(f'table.approaches tr[data-approach="{approach["approach"]}"] td.value')
        minor = approach["value_minor"]
        assert cell.inner_text() == f"CN¥{minor / 100:,.2f}"
        assert page.locator(f'svg.approaches rect.bar[data-approach="{approach["approach"]}"]')
    assert page.locator("svg.approaches rect.bar").count() == 3
    assert f"CN¥{valuation['value_minor'] / 100:,.2f}" in page.inner_text(".value")
    assert "samples" not in text  # the public view
    assert all(u.startswith(base_url) for u in requests), requests  # nothing from elsewhere

    shot = tmp_path / "valuation.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 10_000


def test_the_owner_sees_the_quality_page_with_samples(
    *,
    api: TestClient,
    supplier: Party,
    ops: Party,
    base_url: str,
    browser: playwright_sync.Browser,
    tmp_path: Path,
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    context = browser.new_context(extra_http_headers=supplier.headers)
    page = context.new_page()

    page.goto(f"{base_url}/assets/{asset_id}/quality/report.html")

    assert page.title() == f"Quality report, asset {asset_id} · Databourse"
    page.click("header >> text=Catalog")  # the site's navigation works from the report
    page.wait_for_url("**/catalog")
    page.go_back()
    text = page.inner_text("body")
    for label in DIMENSION_LABELS:
        assert label in text
    assert page.locator("svg.radar path.scores").is_visible()
    assert page.locator("td.samples").count() == 3  # id, name, price
    assert "apple" in page.locator("td.samples").all_inner_texts()[1]
    page.screenshot(path=str(tmp_path / "quality.png"))
    assert (tmp_path / "quality.png").read_bytes().startswith(PNG_MAGIC)
    context.close()


def test_a_chinese_reader_sees_both_reports_in_chinese(
    *,
    api: TestClient,
    supplier: Party,
    ops: Party,
    base_url: str,
    browser: playwright_sync.Browser,
    tmp_path: Path,
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    r = api.post(
        f"/assets/{asset_id}/valuations",
        json={"inputs": {"cost": COST, "income": INCOME, "market": MARKET}},
        headers=supplier.headers,
    )
    assert r.status_code == 201, r.text
    valuation = r.json()
    context = browser.new_context(locale="zh-CN")  # the browser asks for Chinese
    page = context.new_page()

    page.goto(f"{base_url}/assets/{asset_id}/quality/report.html")

    assert page.title() == f"质量报告 · 资产 {asset_id} · Databourse"
    radar = page.locator("svg.radar").text_content() or ""
    for label in DIMENSION_LABELS_ZH:
        assert label in radar
    assert "未评价" in radar
    text = page.inner_text("main")
    assert "字节顺序标记（BOM）： 否" in text  # noqa: RUF001
    assert "列概况" in text
    for english in (*DIMENSION_LABELS, "not judged", "Byte order mark"):
        assert english not in text

    page.goto(f"{base_url}/assets/{asset_id}/valuations/{valuation['id']}/report.html")

    text = page.inner_text("main")
    for label in ("成本法", "收益法", "市场法", *DIMENSION_LABELS_ZH):
        assert label in text
    assert f"¥{valuation['value_minor'] / 100:,.2f}" == page.inner_text("span.value")
    assert "CN¥" not in text
    assert "重置成本：" in text  # noqa: RUF001
    for english in ("Cost approach", "Replacement cost", "Completeness", "Approaches"):
        assert english not in text
    page.screenshot(path=str(tmp_path / "valuation-zh.png"), full_page=True)
    assert (tmp_path / "valuation-zh.png").read_bytes().startswith(PNG_MAGIC)
    context.close()
