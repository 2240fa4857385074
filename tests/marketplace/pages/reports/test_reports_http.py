"""The HTML reports as served: content, visibility and self-containment, on both databases."""

# Full-width Chinese punctuation and the multiplication sign are asserted as a reader sees them.
# ruff: noqa: RUF001

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from marketplace.pages.security import CSP
from tests.marketplace.assets.helpers import Party, create, registered_listed, upload
from tests.marketplace.valuation.helpers import COST, INCOME, MARKET

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|@import|url\(\s*["']?https?:""")


def text_of(page: str) -> str:
    """What a reader sees: the page's text without tags, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _valued(api: TestClient, supplier: Party, ops: Party) -> tuple[int, int]:
    asset_id = registered_listed(api, supplier, ops)
    r = api.post(
        f"/assets/{asset_id}/valuations",
        json={"inputs": {"cost": COST, "income": INCOME, "market": MARKET}},
        headers=supplier.headers,
    )
    assert r.status_code == 201, r.text
    return asset_id, int(r.json()["id"])


def test_the_valuation_page_shows_approaches_and_the_quality_radar(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id, vid = _valued(api, supplier, ops)

    r = api.get(f"/assets/{asset_id}/valuations/{vid}/report.html")

    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    text = text_of(page)
    for label in ("Cost approach", "Income approach", "Market approach"):
        assert label in text
    assert "CN¥4,973.70" in text  # the income approach: 497,370 fen
    assert "CN¥16,000.00" in text  # the market approach: 1,600,000 fen
    assert '<path class="scores"' in page
    assert "Completeness" in text
    assert "完整性" not in text  # English only, in English
    assert "not judged" in text  # the sample CSV declares no ranges and no timestamp
    assert 'class="samples"' not in page  # the public never sees sample values


def test_the_valuation_page_in_chinese_has_chinese_labels_and_chinese_amounts(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id, vid = _valued(api, supplier, ops)

    text = text_of(api.get(f"/assets/{asset_id}/valuations/{vid}/report.html", headers=ZH).text)

    for label in ("成本法", "收益法", "市场法", "规范性", "完整性", "准确性", "一致性", "时效性"):
        assert label in text
    assert "可访问性" in text
    assert "¥4,973.70" in text
    assert "CN¥" not in text
    assert "重置成本： ¥300,000.00" in text
    assert "利润率： 10%" in text
    assert "第 1 年折现值： ¥1,818.18" in text
    assert "可比案例 1： ¥20,000.00 = ¥10,000.00 × 质量 1" in text
    assert "未评价" in text
    for english in ("Cost approach", "Replacement cost", "Completeness", "not judged", "Value"):
        assert english not in text


def test_the_valuation_steps_show_amounts_in_the_currency_not_minor_units(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id, vid = _valued(api, supplier, ops)

    text = text_of(api.get(f"/assets/{asset_id}/valuations/{vid}/report.html").text)

    assert "Replacement cost: CN¥300,000.00" in text  # COST: 30,000,000 fen of components
    assert "Profit rate: 10%" in text
    assert "Year 1, discounted: CN¥1,818.18" in text
    assert "Comparable 1: CN¥20,000.00 = CN¥10,000.00 \N{MULTIPLICATION SIGN} quality 1" in text
    assert "Comparable 1, from: the valuer" in text  # a request's comparable is the valuer's
    assert "_minor" not in text
    assert "30000000" not in text


def test_report_pages_have_the_site_header_and_navigation(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id, vid = _valued(api, supplier, ops)

    for path in (
        f"/assets/{asset_id}/valuations/{vid}/report.html",
        f"/assets/{asset_id}/quality/report.html",
    ):
        page = api.get(path).text
        header = re.search(r"<header[^>]*>(.*?)</header>", page, re.S)
        assert header is not None, path
        links = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>([^<]+)</a>', header.group(1))
        assert links[0] == ("/", "Databourse"), path
        assert {
            ("/", "Home"),
            ("/catalog", "Catalog"),
            ("/explorer", "Ledger explorer"),
            ("/docs", "API docs"),
        } <= set(links), path


def test_pages_load_nothing_from_elsewhere(api: TestClient, supplier: Party, ops: Party) -> None:
    asset_id, vid = _valued(api, supplier, ops)

    for path in (
        f"/assets/{asset_id}/valuations/{vid}/report.html",
        f"/assets/{asset_id}/quality/report.html",
    ):
        r = api.get(path)
        page = r.text
        scripts = re.findall(r"<script[^>]*>.*?</script>", page, flags=re.DOTALL)
        assert all(re.fullmatch(r'<script src="/static/[^"]+" defer></script>', s) for s in scripts)
        assert not EXTERNAL.search(page), path
        assert r.headers["content-security-policy"] == CSP


def test_owner_sees_samples_in_the_quality_page_and_the_public_does_not(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id, _ = _valued(api, supplier, ops)

    public = api.get(f"/assets/{asset_id}/quality/report.html").text
    owner = api.get(f"/assets/{asset_id}/quality/report.html", headers=supplier.headers).text
    operator = api.get(f"/assets/{asset_id}/quality/report.html", headers=ops.headers).text

    assert 'class="samples"' not in public
    assert 'class="samples"' in owner
    assert 'class="samples"' in operator
    assert "apple" in owner


def test_report_text_is_escaped(api: TestClient, supplier: Party, ops: Party) -> None:
    asset_id = registered_listed(api, supplier, ops, title="<script>alert(1)</script> prices")

    page = api.get(f"/assets/{asset_id}/quality/report.html").text

    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; prices" in page


def test_a_drafts_pages_are_404_for_the_public(api: TestClient, supplier: Party) -> None:
    asset_id = int(create(api, supplier)["id"])
    assert upload(api, supplier, asset_id, b"a,b\n1,2\n").status_code == 201
    vid = api.post(
        f"/assets/{asset_id}/valuations", json={"inputs": {"income": INCOME}},
        headers=supplier.headers,
    ).json()["id"]  # fmt: skip

    assert api.get(f"/assets/{asset_id}/quality/report.html").status_code == 404
    assert api.get(f"/assets/{asset_id}/valuations/{vid}/report.html").status_code == 404
    assert api.get(f"/valuations/{vid}").status_code == 404
    own = api.get(f"/assets/{asset_id}/valuations/{vid}/report.html", headers=supplier.headers)
    assert own.status_code == 200


def test_the_quality_page_speaks_the_readers_language(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    path = f"/assets/{asset_id}/quality/report.html"

    en = text_of(api.get(path).text)
    zh = text_of(api.get(path, headers=ZH).text)

    assert "Quality report: " in en
    for label in ("Normativity", "Completeness", "Accuracy", "Consistency", "Timeliness"):
        assert label in en
    assert "Accessibility 100.00" in en  # the radar's label and its score
    assert "Byte order mark: no" in en
    assert "Read back in full: yes" in en
    assert "Cells checked against the schema: 4" in en
    assert "Accuracy not judged: no declared ranges (minimum/maximum) to check" in en
    assert "2 rows × 3 columns" in en
    assert re.search(r"as of [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d [AP]M UTC", en)

    assert "质量报告：" in zh
    for label in ("规范性", "完整性", "准确性", "一致性", "时效性", "可访问性"):
        assert label in zh
    assert "可访问性 100.00" in zh
    assert "字节顺序标记（BOM）： 否" in zh
    assert "完整读回： 是" in zh
    assert "按表结构校验的单元格： 4" in zh
    assert "准确性未评价：未声明可供校验的取值范围（最小值/最大值）" in zh
    assert "2 行 × 3 列" in zh
    assert re.search(r"评价时点 \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d:\d\d UTC", zh)
    for english in ("Normativity", "Byte order mark", "not judged", "Column profile", "rows"):
        assert english not in zh
