"""The public pages over HTTP, on both databases: what they show, what they hide (drafts), how
they refuse bad parameters (an HTML 4xx page, never a 500) and the headers they carry."""

from __future__ import annotations

import hashlib
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from marketplace.pages import asset, catalog, explorer
from marketplace.pages.security import CSP
from tests.marketplace.assets.helpers import CSV, create, review, upload
from tests.marketplace.pages.conftest import CLINIC_TITLE, DRAFT_TITLE, FRUIT_TITLE, World


def text_of(r: Response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", r.text)).split())


def page(api: TestClient, path: str, status: int = 200) -> Response:
    r = api.get(path)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == CSP
    # Scripts only from this server's /static/, none inline; no inline style either.
    scripts = re.findall(r"<script[^>]*>.*?</script>", r.text, flags=re.IGNORECASE | re.DOTALL)
    assert all(re.fullmatch(r'<script src="/static/[^"]+" defer></script>', s) for s in scripts)
    assert "<style" not in r.text.lower()
    assert " style=" not in r.text.lower()
    return r


def test_home_shows_the_counts_and_the_last_anchor(api: TestClient, world: World) -> None:
    batches = api.get("/ledger/batches").json()["items"]
    last = batches[-1]

    text = text_of(page(api, "/"))

    assert "2 listed assets" in text
    assert f"{world.unanchored_seq} journal entries" in text
    assert f"last anchored entry {world.anchored_seq}" in text
    assert f"block {last['block_number']}" in text
    assert str(last["chain_id"]) in text
    r = page(api, "/")
    assert last["tx_hash"] in r.text  # abbreviated on screen, whole in the title
    for href in ('href="/catalog"', 'href="/explorer"', 'href="/docs"', 'action="/catalog"'):
        assert href in r.text


def test_home_on_an_empty_exchange_says_nothing_is_anchored(api: TestClient) -> None:
    text = text_of(page(api, "/"))

    assert "0 listed assets" in text
    assert "0 journal entries" in text
    assert "none yet" in text


def test_the_catalog_lists_offers_with_their_assets_facts_and_hides_drafts(
    api: TestClient, world: World
) -> None:
    r = page(api, "/catalog")
    text = text_of(r)

    assert FRUIT_TITLE in text
    assert CLINIC_TITLE in text
    assert "&lt;by district&gt;" in r.text  # escaped, never markup
    assert DRAFT_TITLE not in text
    assert f'href="/catalog/{world.draft_id}"' not in r.text
    assert "2 offers on this page" in text
    assert "Alice Data" in text
    assert "agriculture" in text
    assert "health" in text
    assert "CC-BY-4.0" in text
    assert "CC-BY-NC-4.0" in text
    assert "important data" in text
    assert f"{len(CSV)} B" in text
    assert "CN¥1,250.00, paid once" in text  # the fruit listing's fixed price
    assert "CN¥9,900.00 per year" in text  # the clinic's subscription
    overall = api.get(f"/assets/{world.fruit_id}/quality").json()["report"]["overall"]
    assert f"{overall:.2f}" in text


def test_the_catalog_searches_filters_and_sorts_as_the_api_does(
    api: TestClient, world: World
) -> None:
    fruit = text_of(page(api, "/catalog?q=fruit"))
    health = text_of(page(api, "/catalog?theme=health"))
    nothing = text_of(page(api, "/catalog?q=zebra"))
    important = text_of(page(api, "/catalog?classification=important"))
    cheap = text_of(page(api, "/catalog?price_max=2000"))
    by_price = page(api, "/catalog?sort=price_desc").text

    assert FRUIT_TITLE in fruit
    assert CLINIC_TITLE not in fruit
    assert DRAFT_TITLE not in fruit  # the draft has the keyword "fruit" too
    assert CLINIC_TITLE in health
    assert FRUIT_TITLE not in health
    assert "No offer matches." in nothing
    assert CLINIC_TITLE in important
    assert FRUIT_TITLE not in important
    assert FRUIT_TITLE in cheap
    assert CLINIC_TITLE not in cheap
    assert by_price.index("Clinic visits") < by_price.index(FRUIT_TITLE)


def test_a_bad_filter_is_shown_next_to_its_field(api: TestClient, world: World) -> None:
    r = page(api, "/catalog?price_min=abc&quality_min=500", 400)

    assert re.search(r'<p class="field-error" id="e-price_min">[^<]+</p>', r.text)
    assert 'id="e-quality_min"' in r.text
    assert 'value="abc"' in r.text  # the form keeps what was typed


def test_the_catalog_pages_through_the_offers_by_cursor(
    api: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog, "PAGE_SIZE", 1)

    first = page(api, "/catalog?sort=price_asc")
    following = re.search(r'<a class="next" href="([^"]+)"', first.text)
    assert following is not None
    second = page(api, unescape(following.group(1)))

    assert FRUIT_TITLE in text_of(first)
    assert CLINIC_TITLE not in text_of(first)
    assert CLINIC_TITLE in text_of(second)
    assert 'class="next"' not in second.text
    assert 'class="first"' in second.text
    bad = page(api, "/catalog?cursor=not-a-cursor", 422)
    assert 'class="message"' in bad.text


def test_an_asset_page_shows_metadata_revisions_schema_reports_and_certificate(
    api: TestClient, world: World
) -> None:
    cert = api.get(f"/assets/{world.fruit_id}/certificate").json()
    anchor = cert["receipt"]["anchor"]

    r = page(api, f"/catalog/{world.fruit_id}")
    text = text_of(r)

    assert FRUIT_TITLE in text
    assert "Daily wholesale fruit prices" in text
    for fact in ("Shanghai", "daily", "zh, en", "2024-01-01 to 2024-12-31", "CC-BY-4.0"):
        assert fact in text, fact
    assert "general data" in text
    assert "personal information no" in text
    assert "source collected by the supplier" in text
    assert hashlib.sha256(CSV).hexdigest() in text
    assert f"{len(CSV)} B" in text
    revision = api.get(f"/assets/{world.fruit_id}/revisions/1").json()
    assert revision["chunk_root"] in text
    for field in ("id whole number integer", "name text string", "price number number"):
        assert field in text, field
    assert f'href="/assets/{world.fruit_id}/quality/report.html"' in r.text
    assert f'href="/assets/{world.fruit_id}/valuations/{world.valuation_id}/report.html"' in r.text
    assert "anchor status anchored" in text
    assert anchor["tx_hash"] in text
    assert f"block {anchor['block_number']}" in text
    assert f"chain id {anchor['chain_id']}" in text
    assert f'href="/assets/{world.fruit_id}/certificate"' in r.text
    assert "bourse verify cert.json --contract ADDRESS" in text
    assert "NOT PINNED and exits 3" in text
    assert f'href="/explorer/entries/{cert["seq"]}"' in r.text


def test_an_asset_page_shows_the_personal_information_basis(api: TestClient, world: World) -> None:
    text = text_of(page(api, f"/catalog/{world.clinic_id}"))

    assert "personal information yes, lawful basis: public health or safety (PIPL" in text
    assert "important data" in text
    assert "key_wrapped_delivery" in text
    assert "source bought from a third party" in text
    assert "No valuation yet." in text


def test_a_draft_or_unknown_asset_is_a_404_page(api: TestClient, world: World) -> None:
    for path in (
        f"/catalog/{world.draft_id}",
        "/catalog/999999",
        "/catalog/0",
        "/catalog/abc",
        "/catalog/99999999999999999999",
    ):
        r = page(api, path, 404)
        assert "Not found" in text_of(r), path
        assert DRAFT_TITLE not in r.text


def test_the_explorer_lists_entries_and_filters_them(api: TestClient, world: World) -> None:
    everything = page(api, "/explorer")
    registered = text_of(page(api, "/explorer?kind=asset.registered"))
    about_fruit = text_of(page(api, f"/explorer?subject=asset:{world.fruit_id}"))

    assert 'href="/explorer/entries/1"' in everything.text
    assert f'href="/explorer/entries/{world.unanchored_seq}"' in everything.text
    assert "asset.created" in text_of(everything)
    assert "not yet" in text_of(everything)  # the entry written after the anchor
    assert "asset.registered" in registered
    assert "asset.created" not in registered
    assert f"asset:{world.fruit_id}" in about_fruit
    assert f"asset:{world.clinic_id}" not in about_fruit


def test_the_explorer_pages_by_seq(
    api: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(explorer, "PAGE_SIZE", 2)

    first = page(api, "/explorer")
    second = page(api, "/explorer?after_seq=2")

    assert 'href="/explorer/entries/2"' in first.text
    assert 'href="/explorer/entries/3"' not in first.text
    assert 'href="/explorer?after_seq=2"' in first.text
    assert 'href="/explorer/entries/3"' in second.text
    assert 'href="/explorer/entries/2"' not in second.text


def test_an_anchored_entry_shows_its_payload_anchor_and_receipt(
    api: TestClient, world: World
) -> None:
    cert = api.get(f"/assets/{world.fruit_id}/certificate").json()
    receipt = cert["receipt"]
    seq = cert["seq"]

    r = page(api, f"/explorer/entries/{seq}")
    text = text_of(r)

    assert f"Journal entry {seq}" in text
    assert "asset.registered" in text
    assert cert["entry_hash"] in text
    assert f'"content_hash": "{cert["certificate"]["content_hash"]}"' in unescape(r.text)
    assert '\n  "asset_id": ' in unescape(r.text)  # pretty-printed
    assert "status confirmed" in text
    assert receipt["root"] in text
    assert receipt["anchor"]["tx_hash"] in text
    assert receipt["anchor"]["contract"] in text
    assert f"block {receipt['anchor']['block_number']}" in text
    assert f"chain id {receipt['anchor']['chain_id']}" in text
    assert f'href="/ledger/entries/{seq}/receipt"' in r.text
    assert "bourse verify receipt.json --contract ADDRESS" in text
    assert api.get(f"/ledger/entries/{seq}/receipt").status_code == 200


def test_checking_an_entrys_receipt_follows_its_proof_to_the_batch_root(
    api: TestClient, world: World
) -> None:
    cert = api.get(f"/assets/{world.fruit_id}/certificate").json()
    seq = cert["seq"]
    assert f'hx-get="/explorer/entries/{seq}/check"' in page(api, f"/explorer/entries/{seq}").text

    fragment = api.get(f"/explorer/entries/{seq}/check", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "Valid." in fragment.text
    assert cert["receipt"]["root"] in fragment.text
    assert "<html" not in fragment.text  # a fragment for htmx; without it, a whole page
    assert "Receipt check" in text_of(page(api, f"/explorer/entries/{seq}/check"))


def test_an_unanchored_entrys_receipt_cannot_be_checked_yet(api: TestClient, world: World) -> None:
    r = api.get(f"/explorer/entries/{world.unanchored_seq}/check")
    assert r.status_code == 409
    assert "<html" in r.text  # the error page, not JSON
    assert api.get("/explorer/entries/999999/check").status_code == 404


def test_an_unanchored_entry_says_so_and_offers_no_receipt(api: TestClient, world: World) -> None:
    r = page(api, f"/explorer/entries/{world.unanchored_seq}")

    assert "Anchored: not yet" in text_of(r)
    assert "/receipt" not in r.text


def test_the_batches_page_lists_batches_with_their_status(api: TestClient, world: World) -> None:
    batches = api.get("/ledger/batches").json()["items"]

    r = page(api, "/explorer/batches")
    text = text_of(r)

    assert batches
    for b in batches:
        assert f"{b['first_seq']}..{b['last_seq']}" in text
        assert b["tx_hash"] in r.text
    assert "confirmed" in text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/explorer?after_seq=x", 400),
        ("/explorer?after_seq=-1", 400),
        ("/explorer?after_seq=9223372036854775808", 400),
        ("/explorer?kind=" + "k" * 65, 400),
        ("/explorer?subject=" + "s" * 129, 400),
        ("/explorer/batches?after_id=1e3", 400),
        ("/explorer/entries/0", 404),
        ("/explorer/entries/1", 404),
        ("/explorer/entries/abc", 404),
        ("/explorer/entries/-5", 404),
        ("/explorer/entries/99999999999999999999", 404),
        ("/catalog/1", 404),
    ],
)
def test_a_bad_parameter_or_unknown_id_gets_an_html_error_page(
    client: TestClient, path: str, status: int
) -> None:
    r = page(client, path, status)

    assert "Bad request" in r.text or "Not found" in r.text
    assert 'class="message"' in r.text


@pytest.mark.parametrize(
    "query",
    [
        "quality_min=abc",
        "quality_min=101",
        "sort=cheapest",
        "price_min=-1",
        "price_max=1.001",  # more decimals than the currency has
        "price_min=5&price_max=1",
        "q=" + "x" * 201,
        "theme=%01",
        "q=%7F",
    ],
)
def test_a_bad_catalog_filter_is_a_400_with_its_message_on_the_form(
    client: TestClient, query: str
) -> None:
    r = page(client, "/catalog?" + query, 400)

    assert 'class="field-error"' in r.text or 'class="message"' in r.text
    assert 'class="filters"' in r.text  # the form, to correct it


def test_a_nul_in_a_query_is_refused_not_a_500(client: TestClient) -> None:
    for path in ("/catalog?q=a%00b", "/explorer?subject=asset:%00", "/catalog?theme=%00"):
        r = client.get(path)
        assert 400 <= r.status_code < 500, (path, r.text)


def test_harmless_odd_queries_are_served(client: TestClient) -> None:
    for path in (
        "/catalog?q=&theme=&price_min=&sort=",
        "/catalog?q=%25_%5C%27%22%3Cb%3E",
        "/catalog?q=%E6%B0%B4%E6%9E%9C&unknown=1",
        "/explorer?kind=&subject=&after_seq=",
        "/explorer?kind=%3Cscript%3E",
        "/explorer?after_seq=9223372036854775807",
        "/explorer/batches?after_id=9223372036854775807",
    ):
        r = page(client, path)
        assert "<script>" not in r.text.replace("&lt;script&gt;", ""), path


def test_an_asset_page_shows_constraints_missing_values_and_key_of_its_schema(
    api: TestClient, world: World
) -> None:
    supplier, ops = world.supplier, world.operator
    asset_id = int(create(api, supplier, title="Readings")["id"])
    assert upload(api, supplier, asset_id, b"id,reading\n1,2.5\n2,NA\n").status_code == 201
    corrected = {
        "fields": [
            {"name": "id", "type": "integer", "constraints": {"required": True, "minimum": 1}},
            {"name": "reading", "type": "number"},
        ],
        "missingValues": ["", "NA"],
        "primaryKey": ["id"],
    }
    r = api.put(
        f"/assets/{asset_id}/revisions/1/schema",
        json={"table_schema": corrected},
        headers=supplier.headers,
    )
    assert r.status_code == 200, r.text
    assert api.post(f"/assets/{asset_id}/submit", json={}, headers=supplier.headers).is_success
    assert review(api, ops, asset_id, "approved").status_code == 201
    assert api.post(f"/assets/{asset_id}/list", headers=supplier.headers).is_success

    text = text_of(page(api, f"/catalog/{asset_id}"))

    assert "id whole number integer required: true, minimum: 1" in text
    # (tags become spaces in text_of: each marker is its own code element)
    assert 'Missing values (cells that count as empty): "" , "NA" · primary key: ["id"]' in text


def test_the_certificate_verify_action_says_valid_and_catches_a_tampered_one(
    api: TestClient, world: World
) -> None:
    text = text_of(page(api, f"/catalog/{world.fruit_id}/certificate/check"))
    fragment = api.get(
        f"/catalog/{world.fruit_id}/certificate/check", headers={"HX-Request": "true"}
    )

    assert "Valid." in text
    assert "Merkle proof leads to the root of its anchored batch" in text
    assert "<html" not in fragment.text  # htmx swaps the result into the asset page
    assert 'class="alert alert-ok certificate-result ok"' in fragment.text
    tampered = api.get(f"/assets/{world.fruit_id}/certificate").json()
    tampered["certificate"]["owner"] = "0x" + "11" * 20
    check = asset.certificate_check(tampered)
    assert not check.ok
    assert "signature" in check.message


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("research", "internal analytics", "collected by the supplier", "whole number")),
        ("zh-CN", ("科研", "内部分析", "供方自行采集", "整数")),
    ],
)
def test_the_listing_page_shows_purposes_source_and_field_types_in_words(
    api: TestClient, world: World, language: str, words: tuple[str, ...]
) -> None:
    r = api.get(f"/catalog/{world.fruit_id}", headers={"Accept-Language": language})
    text = text_of(r)
    purpose, other_purpose, source, integer = words

    assert f"{purpose}, {other_purpose}" in text or f"{purpose}、{other_purpose}" in text
    assert f'<span class="source" title="collected">{source}</span>' in r.text
    # the field type in words, then its code as the supplier types it in a schema
    assert f"<td>{integer} <code>integer</code></td>" in r.text
    if language != "en":
        assert "internal_analytics" not in text
        assert "whole number" not in text


def test_the_listing_page_in_chinese_shows_the_radar_and_the_valuation_in_chinese(
    api: TestClient, world: World
) -> None:
    r = api.get(f"/catalog/{world.fruit_id}", headers={"Accept-Language": "zh-CN"})
    text = text_of(r)
    radar = re.search(r'<svg [^>]*class="radar".*?</svg>', r.text, flags=re.DOTALL)

    assert radar is not None
    for label in ("规范性", "完整性", "准确性", "一致性", "时效性", "可访问性"):
        assert label in radar.group(0)
    assert "Completeness" not in radar.group(0)
    assert "参考估值" in text
    assert "indicative" not in text
    assert re.search(r'class="[^"]*status listed">已挂牌</span>', r.text)  # the asset's badge
