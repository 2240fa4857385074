"""The HTML reports as served: content, visibility and self-containment, on both databases."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from marketplace.pages.security import CSP
from tests.marketplace.assets.helpers import Party, create, registered_listed, upload
from tests.marketplace.valuation.helpers import COST, INCOME, MARKET

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|@import|url\(\s*["']?https?:""")


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
    for label in ("Cost 成本法", "Income 收益法", "Market 市场法"):
        assert label in page
    assert "4,973.70 CNY" in page  # the income approach: 497,370 fen
    assert "16,000.00 CNY" in page  # the market approach: 1,600,000 fen
    assert '<path class="scores"' in page
    assert "Completeness 完整性" in page
    assert "not judged" in page  # the sample CSV declares no ranges and no timestamp
    assert 'class="samples"' not in page  # the public never sees sample values


def test_the_valuation_steps_show_amounts_in_the_currency_not_minor_units(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id, vid = _valued(api, supplier, ops)

    page = api.get(f"/assets/{asset_id}/valuations/{vid}/report.html").text
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())

    assert "Replacement cost: 300,000.00 CNY" in text  # COST: 30,000,000 fen of components
    assert "Profit rate: 10%" in text
    assert "Year 1, discounted: 1,818.18 CNY" in text
    assert "Comparable 1: 20,000.00 CNY = 10,000.00 CNY \N{MULTIPLICATION SIGN} quality 1.0" in text
    assert "Comparable 1, from: valuer" in text  # a request's comparable is the valuer's
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
