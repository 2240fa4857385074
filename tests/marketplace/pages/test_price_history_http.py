"""The listing page's price history of comparable trades over HTTP, on both databases: a buyer
who settled trades of the asset and of a comparable one sees each as a dot and a table row (in
English and in Chinese); an organisation that was no party sees "no comparable trades yet",
and an anonymous reader no price at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from ledger.models import utc_now
from marketplace import limits
from marketplace.app import create_app
from marketplace.orders.models import Order
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party, registered_listed
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD
from tests.marketplace.listings.helpers import create_listing
from tests.marketplace.orders.helpers import keyed
from tests.marketplace.orders.money import deliver, fund
from tests.marketplace.pages.buyer_helpers import BUYER_EMAIL, PRICE_MINOR, Market, market
from tests.marketplace.pages.test_price_history import rows, text
from tests.marketplace.pages.test_sessions import sign_in

VEGETABLES = "Vegetable prices <wholesale>"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def settle(api: TestClient, runtime: Runtime, buyer: Party, listing_id: int, age_days: int) -> int:
    """A purchase of ``listing_id`` by ``buyer``, delivered, accepted, settled ``age_days`` ago."""
    fund(runtime.engine, buyer.organization_id, PRICE_MINOR)
    r = api.post(
        "/orders/purchase", json={"listing_id": listing_id, "purpose": "research"},
        headers=keyed(buyer.headers),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    order_id = int(r.json()["id"])
    deliver(runtime.engine, order_id)
    r = api.post(f"/orders/{order_id}/accept", headers=keyed(buyer.headers))
    assert (r.status_code, r.json()["status"]) == (200, "settled"), r.text
    with Session(runtime.engine) as session:
        moved = utc_now() - timedelta(days=age_days)
        session.execute(update(Order).where(Order.id == order_id).values(settled_at=moved))  # type: ignore[arg-type]
        session.commit()
    return order_id


@pytest.fixture
def traded(api: TestClient, page_runtime: Runtime) -> tuple[Market, list[int]]:
    """The buyer's trades: the asset's listing 40 days ago, a comparable asset's today."""
    mk = market(api, page_runtime)
    other = registered_listed(api, mk.supplier, mk.operator, title=VEGETABLES)
    other_listing = int(create_listing(api, mk.supplier, other)["id"])
    old = settle(api, page_runtime, mk.buyer, mk.listing_id, age_days=40)
    new = settle(api, page_runtime, mk.buyer, other_listing, age_days=0)
    return mk, [old, new]


@pytest.fixture
def web(page_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=page_runtime), raise_server_exceptions=False) as c:
        yield c


def section(html: str) -> str:
    start = html.index('<section id="price-history">')
    return html[start : html.index("</section>", start)]


def test_the_buyer_sees_its_comparable_trades_as_dots_and_rows(
    web: TestClient, traded: tuple[Market, list[int]]
) -> None:
    mk, (old, new) = traded
    sign_in(web, BUYER_EMAIL, PASSWORD)
    r = web.get(f"/catalog/{mk.asset_id}")
    assert r.status_code == 200, r.text
    shown = section(r.text)
    assert "Price history of comparable trades" in text(shown)
    dots = re.findall(r'<circle class="(trade[^"]*)" data-order="(\d+)"', shown)
    assert dots == [("trade this-asset", str(old)), ("trade", str(new))]  # oldest first
    table = rows(shown)
    assert [row[1:] for row in table] == [
        ["CN¥1,250.00", VEGETABLES, "listing price", str(new)],
        ["CN¥1,250.00", "this asset", "listing price", str(old)],
    ]
    assert "asking price CN¥1,250.00" in text(shown)
    assert "&lt;wholesale&gt;" in shown

    zh = web.get(f"/catalog/{mk.asset_id}", headers=ZH)
    shown = section(zh.text)
    assert "可比成交价格走势" in text(shown)
    assert "要价 ¥1,250.00" in text(shown)
    assert [row[1:] for row in rows(shown)] == [
        ["¥1,250.00", VEGETABLES, "挂牌价", str(new)],
        ["¥1,250.00", "本资产", "挂牌价", str(old)],
    ]
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", rows(shown)[0][0])


def test_no_party_to_a_trade_sees_none_and_an_anonymous_reader_sees_no_price(
    api: TestClient, web: TestClient, page_runtime: Runtime, traded: tuple[Market, list[int]]
) -> None:
    mk, _ = traded
    anonymous = section(api.get(f"/catalog/{mk.asset_id}").text)
    assert "<svg" not in anonymous
    assert "Sign in to see the trades" in text(anonymous)

    sign_in(web, OPERATOR_EMAIL, PASSWORD)  # the operator's organisation traded nothing
    shown = section(web.get(f"/catalog/{mk.asset_id}").text)
    assert "<svg" not in shown
    assert "No comparable trades yet." in text(shown)
    zh = section(web.get(f"/catalog/{mk.asset_id}", headers=ZH).text)
    assert "尚无可比成交。" in text(zh)


def test_the_chart_draws_at_most_the_limit_the_most_recent_first(
    web: TestClient, traded: tuple[Market, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    mk, (_, new) = traded
    monkeypatch.setattr(limits, "price_history_trades_max", 1)
    sign_in(web, BUYER_EMAIL, PASSWORD)
    shown = section(web.get(f"/catalog/{mk.asset_id}").text)
    assert re.findall(r'data-order="(\d+)"', shown) == [str(new)]
    assert [row[-1] for row in rows(shown)] == [str(new)]
