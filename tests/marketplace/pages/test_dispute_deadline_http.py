"""Until when an order may be disputed, on the pages, over HTTP, on both databases: the buyer's
order page and the supplier's sales show a settled order's deadline (the API's
``dispute_closes_at``, which the refusal enforces), in words of the reader's language, and that
it has passed once it has; the buyer is offered a dispute only before it. A settled period's
deadline is in the periods table (test_period_disputes_http.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from ledger.models import as_utc
from marketplace.app import create_app
from marketplace.pages import i18n
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import PASSWORD
from tests.marketplace.orders.helpers import keyed
from tests.marketplace.orders.money import deliver, fund
from tests.marketplace.pages.buyer_helpers import BUYER_EMAIL, Market, market
from tests.marketplace.pages.test_disputes_http import text_of
from tests.marketplace.pages.test_i18n import CNY
from tests.marketplace.pages.test_sessions import sign_in

BUYER_CLOCK = "marketplace.pages.buyer.utc_now"
SUPPLIER_CLOCK = "marketplace.pages.supplier.utc_now"
SUPPLIER_EMAIL = "alice@supplier.test"  # market()'s supplier
WINDOW_H = 168  # the listing helpers' terms


@pytest.fixture
def mk(api: TestClient, page_runtime: Runtime) -> Market:
    return market(api, page_runtime)


def _client(runtime: Runtime, email: str) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as c:
        sign_in(c, email, PASSWORD)
        yield c


@pytest.fixture
def buyer_web(page_runtime: Runtime, mk: Market) -> Iterator[TestClient]:
    yield from _client(page_runtime, BUYER_EMAIL)


@pytest.fixture
def supplier_web(page_runtime: Runtime, mk: Market) -> Iterator[TestClient]:
    yield from _client(page_runtime, SUPPLIER_EMAIL)


def _settled(api: TestClient, runtime: Runtime, mk: Market) -> tuple[int, datetime]:
    """An order bought, delivered and accepted (so settled): its id and its deadline as
    ``GET /orders/{id}`` shows it."""
    fund(runtime.engine, mk.buyer.organization_id, 500_000)
    r = api.post(
        "/orders/purchase", json={"listing_id": mk.listing_id, "purpose": "research"},
        headers=keyed(mk.buyer.headers),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    order_id: int = r.json()["id"]
    deliver(runtime.engine, order_id)
    done = api.post(f"/orders/{order_id}/accept", headers=keyed(mk.buyer.headers))
    assert done.status_code == 200, done.text
    shown = api.get(f"/orders/{order_id}", headers=mk.buyer.headers).json()
    closes = as_utc(datetime.fromisoformat(shown["dispute_closes_at"]))
    settled_at = as_utc(datetime.fromisoformat(shown["settled_at"]))
    assert closes == settled_at + timedelta(hours=WINDOW_H)
    return order_id, closes


def _in(locale: str, closes: datetime) -> str:
    """``closes`` as the pages write a moment in ``locale``, as ``text_of`` reads it (CLDR's
    narrow space before AM/PM a plain one)."""
    with i18n.use_locale(locale, CNY):  # the currency: unused here
        return text_of(i18n.when(closes))


def _deadline(html: str) -> str:
    found = re.search(r'<dd class="dispute-deadline">(.*?)</dd>', html, flags=re.DOTALL)
    assert found is not None, "no dispute deadline on the page"
    return text_of(found.group(1)).strip()


def _sale(html: str, order_id: int) -> str:
    found = re.search(
        rf'<tr id="order-{order_id}">.*?<td class="dispute-deadline">(.*?)</td>', html, re.DOTALL
    )
    assert found is not None, "no such sale"
    return text_of(found.group(1)).strip()


def test_the_buyer_sees_until_when_a_settled_order_may_be_disputed_then_that_it_closed(
    *,
    api: TestClient,
    page_runtime: Runtime,
    mk: Market,
    buyer_web: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order_id, closes = _settled(api, page_runtime, mk)
    page = f"/buyer/orders/{order_id}"

    monkeypatch.setattr(BUYER_CLOCK, lambda: closes - timedelta(seconds=1))
    within = buyer_web.get(page)
    assert within.status_code == 200
    assert _deadline(within.text) == f"Disputes may be raised until {_in('en', closes)}"
    assert f"/disputes/new?order_id={order_id}" in within.text
    buyer_web.cookies.set(i18n.LANG_COOKIE, "zh_CN")
    assert _deadline(buyer_web.get(page).text) == f"可在 {_in('zh_CN', closes)} 之前提出争议"
    buyer_web.cookies.set(i18n.LANG_COOKIE, "en")

    monkeypatch.setattr(BUYER_CLOCK, lambda: closes)
    after = buyer_web.get(page).text
    assert _deadline(after) == f"The dispute window closed on {_in('en', closes)}"
    assert "/disputes/new" not in after  # the API would refuse it: 409 dispute_window_closed


def test_an_order_not_settled_shows_no_deadline(
    *, api: TestClient, page_runtime: Runtime, mk: Market, buyer_web: TestClient
) -> None:
    fund(page_runtime.engine, mk.buyer.organization_id, 500_000)
    r = api.post(
        "/orders/purchase", json={"listing_id": mk.listing_id, "purpose": "research"},
        headers=keyed(mk.buyer.headers),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    page = buyer_web.get(f"/buyer/orders/{r.json()['id']}").text
    assert 'class="dispute-deadline"' not in page
    assert f"/disputes/new?order_id={r.json()['id']}" in page  # a dispute freezes the hold


def test_the_supplier_sees_each_settled_sales_dispute_deadline(
    *,
    api: TestClient,
    page_runtime: Runtime,
    mk: Market,
    supplier_web: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order_id, closes = _settled(api, page_runtime, mk)

    monkeypatch.setattr(SUPPLIER_CLOCK, lambda: closes - timedelta(seconds=1))
    sales = supplier_web.get("/supplier/sales")
    assert sales.status_code == 200
    assert _sale(sales.text, order_id) == f"Disputes may be raised until {_in('en', closes)}"
    monkeypatch.setattr(SUPPLIER_CLOCK, lambda: closes)
    after = supplier_web.get("/supplier/sales").text
    assert _sale(after, order_id) == f"The dispute window closed on {_in('en', closes)}"
