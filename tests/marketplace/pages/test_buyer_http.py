"""The buyer's pages and /money over HTTP, on both databases: deposit, buy with a purpose (once
per form), the order with its download and acceptance; bad input and other organisations'
ids are refused with the API's message and change nothing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import PASSWORD, row_counts, signup
from tests.marketplace.pages.buyer_helpers import BUYER_EMAIL, PRICE_MINOR, Market, market
from tests.marketplace.pages.test_sessions import csrf_of, sign_in

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


@pytest.fixture
def mk(api: TestClient, page_runtime: Runtime) -> Market:
    return market(api, page_runtime)


@pytest.fixture
def web(page_runtime: Runtime, mk: Market) -> Iterator[TestClient]:
    """The buyer, signed in to the pages (a client of its own: cookies)."""
    with TestClient(create_app(runtime=page_runtime), raise_server_exceptions=False) as c:
        sign_in(c, BUYER_EMAIL, PASSWORD)
        yield c


def form_of(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to ``action``."""
    start = html.index(f'action="{action}"')
    chunk = html[start : html.index("</form>", start)]
    fields = {"csrf_token": csrf_of(chunk)}
    key = KEY.search(chunk)
    if key:
        fields["idempotency_key"] = key.group(1)
    return fields


def balance(api: TestClient, who: object) -> dict[str, int]:
    r = api.get("/books/balance", headers=who.headers)  # type: ignore[attr-defined]
    assert r.status_code == 200, r.text
    return {"available": r.json()["available_minor"], "held": r.json()["held_minor"]}


def deposit(web: TestClient, amount: str) -> None:
    fields = form_of(web.get("/money").text, "/money/deposit")
    r = web.post("/money/deposit", data={**fields, "amount": amount}, follow_redirects=False)
    assert r.status_code == 303, r.text


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_a_deposit_form_moves_money_once_however_often_it_is_sent(
    api: TestClient, web: TestClient, mk: Market
) -> None:
    fields = form_of(web.get("/money").text, "/money/deposit")
    first = web.post(
        "/money/deposit", data={**fields, "amount": "2,000.50"}, follow_redirects=False
    )
    again = web.post(
        "/money/deposit", data={**fields, "amount": "2,000.50"}, follow_redirects=False
    )

    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert balance(api, mk.buyer) == {"available": 200_050, "held": 0}
    page = text_of(web.get("/money").text)
    assert "CN¥2,000.50" in page
    assert "deposit" in page
    chinese = web.get("/money", headers={"Accept-Language": "zh-CN"}).text
    assert '<span class="code-word" title="deposit">充值</span>' in chinese  # the transfer
    assert '<span class="code-word" title="available">可用</span>' in chinese  # the account
    statement = web.get("/money/statement.csv")
    assert statement.status_code == 200
    assert "200050" in statement.text


def test_the_money_page_downloads_the_statement_the_api_gives(
    api: TestClient, web: TestClient, mk: Market
) -> None:
    deposit(web, "12.50")
    headers = mk.buyer.headers

    as_csv = web.get("/money/statement.csv")
    as_json = web.get("/money/statement.json")

    assert as_csv.headers["content-disposition"] == 'attachment; filename="statement.csv"'
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    api_csv = api.get("/books/statement", params={"format": "csv"}, headers=headers)
    assert as_csv.text == api_csv.text
    assert as_json.headers["content-disposition"] == 'attachment; filename="statement.json"'
    assert as_json.json() == api.get("/books/statement", headers=headers).json()
    assert as_json.json()["available_minor"] == 1250


def test_refused_money_forms_show_the_message_next_to_the_field_and_move_nothing(
    api: TestClient, web: TestClient, mk: Market, engine: Engine
) -> None:
    deposit(web, "10")
    before = row_counts(engine)
    for amount in ("abc", "0", "-5", "1.234"):
        fields = form_of(web.get("/money").text, "/money/deposit")
        r = web.post("/money/deposit", data={**fields, "amount": amount})
        assert r.status_code == 400, amount
        assert "Type an amount such as 12.50." in r.text
        assert 'aria-invalid="true"' in r.text

    fields = form_of(web.get("/money").text, "/money/withdraw")
    r = web.post("/money/withdraw", data={**fields, "amount": "10.01"})
    assert r.status_code == 409
    assert "insufficient" in text_of(r.text).lower()
    assert 'id="e-withdraw-amount"' in r.text

    assert row_counts(engine) == before
    assert balance(api, mk.buyer)["available"] == 1000


def test_the_buy_page_shows_the_terms_and_refused_forms_show_the_api_message(
    web: TestClient, mk: Market, engine: Engine
) -> None:
    action = f"/buyer/buy/{mk.listing_id}"
    before = row_counts(engine)
    form = web.get(action)
    assert form.status_code == 200
    page = text_of(form.text)
    assert "CN¥1,250.00" in page
    assert "365 days" in page
    assert re.findall(r'<option value="([a-z_]+)"', form.text) == ["research", "internal_analytics"]
    fields = form_of(form.text, action)
    r = web.post(action, data={**fields, "purpose": "research"})
    assert r.status_code == 409
    assert "insufficient" in text_of(r.text).lower()
    assert 'href="/money"' in r.text
    assert row_counts(engine) == before  # no order, no hold, no idempotency record

    deposit(web, "5000")
    before = row_counts(engine)
    fields = form_of(web.get(action).text, action)
    r = web.post(action, data={**fields, "purpose": "commercial"})
    assert r.status_code == 422
    assert "does not permit commercial use" in text_of(r.text)
    r = web.post(action, data={**form_of(r.text, action), "purpose": ""})
    assert r.status_code == 400
    assert "Choose a purpose." in r.text
    assert row_counts(engine) == before


def test_a_resubmitted_buy_form_charges_once(api: TestClient, web: TestClient, mk: Market) -> None:
    deposit(web, "5000")
    fields = form_of(web.get(f"/buyer/buy/{mk.listing_id}").text, f"/buyer/buy/{mk.listing_id}")
    data = {**fields, "purpose": "research"}
    first = web.post(f"/buyer/buy/{mk.listing_id}", data=data, follow_redirects=False)
    again = web.post(f"/buyer/buy/{mk.listing_id}", data=data, follow_redirects=False)

    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert re.fullmatch(r"/buyer/orders/\d+", first.headers["location"])
    assert balance(api, mk.buyer) == {"available": 500_000 - PRICE_MINOR, "held": PRICE_MINOR}
    assert len(api.get("/orders", headers=mk.buyer.headers).json()["items"]) == 1


def test_the_buyer_downloads_compares_the_sha256_and_accepts(
    api: TestClient, web: TestClient, mk: Market
) -> None:
    deposit(web, "5000")
    fields = form_of(web.get(f"/buyer/buy/{mk.listing_id}").text, f"/buyer/buy/{mk.listing_id}")
    r = web.post(f"/buyer/buy/{mk.listing_id}", data={**fields, "purpose": "research"})
    assert r.status_code == 200
    order_path = str(r.url.path)
    assert "order.paid" in r.text
    assert "/disputes/new?order_id=" in r.text

    r = web.post(f"{order_path}/download", data=form_of(r.text, f"{order_path}/download"))
    assert r.status_code == 200, r.text
    shown = re.search(r'<code class="sha256">([0-9a-f]{64})</code>', r.text)
    link = re.search(r'class="btn btn-primary download-link" href="([^"]+)"', r.text)
    assert shown
    assert link
    got = web.get(unescape(link.group(1)))
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == shown.group(1)
    assert "bourse download" in r.text

    page = web.get(order_path).text
    assert "delivery.served" in page
    assert "escrow.held" in page
    r = web.post(f"{order_path}/accept", data=form_of(page, f"{order_path}/accept"))
    assert r.status_code == 200
    assert "order.settled" in r.text
    assert "settlement.released" in r.text
    assert r.text.count(">delivery.served<") == 1
    assert balance(api, mk.buyer) == {"available": 500_000 - PRICE_MINOR, "held": 0}
    again = web.post(f"{order_path}/accept", data={"csrf_token": csrf_of(r.text)})
    assert again.status_code == 409  # settled: the API's order_state message, nothing moves
    orders = web.get("/buyer/orders").text
    assert order_path in orders


def test_another_organisations_order_is_a_404_page(
    api: TestClient, web: TestClient, mk: Market, page_runtime: Runtime
) -> None:
    deposit(web, "5000")
    fields = form_of(web.get(f"/buyer/buy/{mk.listing_id}").text, f"/buyer/buy/{mk.listing_id}")
    r = web.post(f"/buyer/buy/{mk.listing_id}", data={**fields, "purpose": "research"})
    order_path = str(r.url.path)
    signup(api, "carl@other.test", "Carl Other", ["buyer"])
    with TestClient(create_app(runtime=page_runtime), raise_server_exceptions=False) as other:
        sign_in(other, "carl@other.test", PASSWORD)
        assert other.get(order_path).status_code == 404
        page = other.get("/").text
        r = other.post(f"{order_path}/download", data={"csrf_token": csrf_of(page)})
        assert r.status_code == 404
        assert other.get(f"/buyer/buy/{mk.listing_id}").status_code == 403  # not verified


def test_signed_out_the_buyer_pages_ask_to_sign_in(api: TestClient) -> None:
    for path in ("/money", "/buyer/orders", "/buyer/buy/1"):
        r = api.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next=")
