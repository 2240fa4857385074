"""The buyer's demand pages over HTTP, on both databases: post a demand through the form (bad
input refused next to its field, nothing written), see its matches, accept a supplier's quote
and pay the order it places, once per form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import PASSWORD, row_counts, signup
from tests.marketplace.pages.buyer_helpers import BUYER_EMAIL, Market, market
from tests.marketplace.pages.test_buyer_http import balance, deposit, form_of, text_of
from tests.marketplace.pages.test_sessions import csrf_of, sign_in
from tests.marketplace.quotes.helpers import PRICE, send_quote


@pytest.fixture
def mk(api: TestClient, page_runtime: Runtime) -> Market:
    return market(api, page_runtime)


@pytest.fixture
def web(page_runtime: Runtime, mk: Market) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=page_runtime), raise_server_exceptions=False) as c:
        sign_in(c, BUYER_EMAIL, PASSWORD)
        yield c


def demand_form(**overrides: str) -> dict[str, str]:
    deadline = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    return {
        "title": "Fruit prices by city",
        "description": "Daily wholesale fruit prices",
        "keywords": "fruit, prices",
        "purpose": "research",
        "budget_min": "100",
        "budget_max": "2,000",
        "deadline": deadline,
        **overrides,
    }


def test_bad_demands_are_refused_next_to_their_field_and_write_nothing(
    web: TestClient, mk: Market, engine: Engine
) -> None:
    before = row_counts(engine)
    cases = [
        ({"title": ""}, "e-title"),
        ({"budget_min": "lots"}, "e-budget_min"),
        ({"deadline": "2001-01-01"}, ""),
        ({"purpose": "gossip"}, "e-purpose"),
    ]
    for override, where in cases:
        page = web.get("/buyer/demands").text
        data = {"csrf_token": csrf_of(page), **demand_form(**override)}
        r = web.post("/buyer/demands", data=data)
        assert r.status_code in {400, 422}, (override, r.status_code)
        if where:
            assert f'id="{where}"' in r.text, override
        else:
            assert 'class="alert alert-error"' in r.text or "field-error" in r.text
    assert row_counts(engine) == before


def test_a_demand_its_matches_and_an_accepted_quote_paid_once(
    api: TestClient, web: TestClient, mk: Market
) -> None:
    page = web.get("/buyer/demands").text
    r = web.post("/buyer/demands", data={"csrf_token": csrf_of(page), **demand_form()})
    assert r.status_code == 200
    demand_path = str(r.url.path)
    demand_id = int(demand_path.rsplit("/", 1)[1])
    assert "Fruit prices by city" in r.text
    assert f'href="/buyer/buy/{mk.listing_id}"' in r.text  # the listed fruit prices match
    assert "Fruit prices by city" in web.get("/buyer/demands").text

    quote = send_quote(api, mk.supplier, demand_id, mk.listing_id)
    page = web.get(demand_path).text
    assert "CN¥980.00" in text_of(page)
    r = web.post(
        f"/buyer/quotes/{quote['id']}/accept",
        data=form_of(page, f"/buyer/quotes/{quote['id']}/accept"),
    )
    assert r.status_code == 200
    order_path = str(r.url.path)
    assert re.fullmatch(r"/buyer/orders/\d+", order_path)
    assert ">placed<" in r.text

    short = web.post(f"{order_path}/pay", data=form_of(r.text, f"{order_path}/pay"))
    assert short.status_code == 409
    assert "insufficient" in text_of(short.text).lower()
    assert '<a href="/money">' in short.text

    deposit(web, "1000")
    page = web.get(order_path).text
    fields = form_of(page, f"{order_path}/pay")
    first = web.post(f"{order_path}/pay", data=fields, follow_redirects=False)
    again = web.post(f"{order_path}/pay", data=fields, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert balance(api, mk.buyer) == {"available": 100_000 - PRICE, "held": PRICE}
    assert ">paid<" in web.get(order_path).text


def test_another_organisations_demand_and_quote_are_404_pages(
    api: TestClient, web: TestClient, mk: Market, page_runtime: Runtime, engine: Engine
) -> None:
    page = web.get("/buyer/demands").text
    r = web.post("/buyer/demands", data={"csrf_token": csrf_of(page), **demand_form()})
    demand_path = str(r.url.path)
    quote = send_quote(api, mk.supplier, int(demand_path.rsplit("/", 1)[1]), mk.listing_id)
    signup(api, "carl@other.test", "Carl Other", ["buyer"])
    with TestClient(create_app(runtime=page_runtime), raise_server_exceptions=False) as other:
        sign_in(other, "carl@other.test", PASSWORD)
        before = row_counts(engine)
        assert other.get(demand_path).status_code == 404
        token = csrf_of(other.get("/buyer/demands").text)
        r = other.post(f"/buyer/quotes/{quote['id']}/accept", data={"csrf_token": token})
        assert r.status_code == 404
        assert row_counts(engine) == before


@pytest.mark.parametrize(
    ("language", "ai_training"), [("en", "training AI models"), ("zh-CN", "训练人工智能模型")]
)
def test_demand_purposes_read_in_words_with_their_code_in_the_tooltip(
    web: TestClient, mk: Market, language: str, ai_training: str
) -> None:
    page = web.get("/buyer/demands").text
    data = {"csrf_token": csrf_of(page), **demand_form(purpose="ai_training")}
    assert web.post("/buyer/demands", data=data).status_code == 200

    r = web.get("/buyer/demands", headers={"Accept-Language": language})

    assert f'<span class="code-word" title="ai_training">{ai_training}</span>' in r.text
    assert f'<option value="ai_training">{ai_training}</option>' in r.text  # the form's choice
    if language != "en":
        assert "training AI models" not in r.text
