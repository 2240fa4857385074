"""A period of a subscription disputed from the pages, over HTTP, on both databases: the buyer's
order page lists the periods with a "Dispute this period" link on each one the disputes service
says may be disputed now (and no whole-order link), the form carries the period and the
dispute's page names it; a refused form shows the service's message and writes nothing. (The
browser step: test_period_disputes_browser.py; the API: tests/marketplace/disputes/
test_period_disputes_http.py.)"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.models import as_utc
from marketplace.orders.settlement_job import run_once
from marketplace.pages import i18n
from marketplace.runtime import Runtime
from tests.marketplace.orders.helpers import on_sale
from tests.marketplace.orders.money import deliver, fund
from tests.marketplace.orders.test_periods import MONTHLY, PER_PERIOD
from tests.marketplace.orders.test_settlement_http import purchase
from tests.marketplace.pages.dispute_world import BUYER_EMAIL, DisputeWorld
from tests.marketplace.pages.test_disputes_http import (  # noqa: F401 -- fixtures, by name
    browsers,
    disputes_of,
    kinds,
    post_form,
    text_of,
    world,
)
from tests.marketplace.pages.test_i18n import CNY

PAGE_CLOCK = "marketplace.pages.buyer.utc_now"


def subscription(
    api: TestClient,
    runtime: Runtime,
    parties: DisputeWorld,
    *,
    periods: int,
    terms: dict[str, Any] | None = None,
) -> int:
    """A delivered monthly subscription of ``periods`` months from the world's supplier to its
    buyer (its listing's terms the helpers' with ``terms``), funded for all of them: the order's
    id."""
    fund(runtime.engine, parties.buyer.organization_id, periods * PER_PERIOD)
    listing = on_sale(api, parties.supplier, parties.ops, price_model=MONTHLY, terms=terms or {})
    r = purchase(api, parties.buyer, listing["id"], quantity=periods)
    assert r.status_code == 201, r.text
    order_id: int = r.json()["id"]
    deliver(runtime.engine, order_id)
    return order_id


def period_rows(html: str) -> dict[int, str]:
    """The order page's periods table: number -> the row's text."""
    rows = re.findall(r'<tr id="period-(\d+)">(.*?)</tr>', html, flags=re.DOTALL)
    return {int(number): text_of(row).strip() for number, row in rows}


def periods_of(api: TestClient, parties: DisputeWorld, order_id: int) -> list[dict[str, Any]]:
    """The order's periods as its buyer reads them over the API."""
    found: list[dict[str, Any]] = api.get(
        f"/orders/{order_id}/periods", headers=parties.buyer.headers
    ).json()
    return found


def dispute_links(html: str) -> list[str]:
    return [
        unescape(h) for h in re.findall(r'class="[^"]*dispute-period[^"]*" href="([^"]+)"', html)
    ]


def test_the_buyer_sees_the_periods_and_disputes_period_1_through_the_form(
    api: TestClient,
    page_runtime: Runtime,
    world: DisputeWorld,  # noqa: F811 -- the fixtures imported above
    browsers: dict[str, TestClient],  # noqa: F811
) -> None:
    buyer = browsers[BUYER_EMAIL]
    order_id = subscription(api, page_runtime, world, periods=2)
    order_page = buyer.get(f"/buyer/orders/{order_id}")
    assert order_page.status_code == 200

    [row] = period_rows(order_page.text).values()
    assert row.startswith("1 ")
    assert "held" in row
    assert "CN¥400.00" in row
    assert dispute_links(order_page.text) == [f"/disputes/new?order_id={order_id}&period=1"]
    assert "Open a dispute" not in text_of(order_page.text)  # the order is disputed by period
    # Accepting a subscription releases no price: its periods are paid as they end.
    assert "Accepting confirms the delivery; it moves no money" in text_of(order_page.text)
    assert "Accepting releases the price" not in text_of(order_page.text)

    form = buyer.get("/disputes/new", params={"order_id": order_id, "period": 1})
    assert form.status_code == 200
    assert f"Dispute period 1 of order {order_id}:" in text_of(form.text)
    assert '<input type="hidden" name="period" value="1">' in form.text
    r = post_form(
        buyer, f"/disputes/new?order_id={order_id}&period=1", "/disputes/new",
        {"order_id": order_id, "period": "1", "reason": "quality_below_report",
         "statement": "The January feed stopped after a week."},
    )  # fmt: skip

    assert r.status_code == 303, r.text
    [found] = disputes_of(api, world.buyer)
    assert (found["order_id"], found["period"]) == (order_id, 1)
    assert r.headers["location"] == f"/disputes/{found['id']}"
    case = text_of(buyer.get(r.headers["location"]).text)
    assert f"Order {order_id}" in case
    assert "Period 1 " in case
    after = buyer.get(f"/buyer/orders/{order_id}").text
    assert "disputed" in period_rows(after)[1]
    assert dispute_links(after) == []  # one dispute per period


@pytest.mark.parametrize("window_h", [24, 2_160], ids=["a-day", "ninety-days"])
def test_a_settled_period_is_linked_within_its_terms_dispute_window_only(
    *,
    api: TestClient,
    page_runtime: Runtime,
    world: DisputeWorld,  # noqa: F811 -- the fixtures imported above
    browsers: dict[str, TestClient],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    window_h: int,
) -> None:
    """The window the listing's terms signed, shorter or longer than the exchange's 14 days."""
    buyer = browsers[BUYER_EMAIL]
    order_id = subscription(
        api, page_runtime, world, periods=1, terms={"dispute_window_h": window_h}
    )
    end = datetime.fromisoformat(periods_of(api, world, order_id)[0]["ends_at"])
    run = run_once(page_runtime.engine, page_runtime.settings, now=end)
    assert run.periods_settled == [(order_id, 1)]
    assert page_runtime.settings.dispute_window_s == 14 * 24 * 3600
    closes = end + timedelta(hours=window_h)

    shown = datetime.fromisoformat(periods_of(api, world, order_id)[0]["dispute_closes_at"])
    assert as_utc(shown) == as_utc(closes)
    with i18n.use_locale("en", CNY):
        words = text_of(i18n.when(closes))  # as text_of reads the page

    monkeypatch.setattr(PAGE_CLOCK, lambda: closes - timedelta(seconds=1))
    within = buyer.get(f"/buyer/orders/{order_id}").text
    assert "settled" in period_rows(within)[1]
    assert f"Disputes may be raised until {words}" in period_rows(within)[1]
    assert 'dd class="dispute-deadline"' not in within  # the order has none: its periods do
    assert dispute_links(within) == [f"/disputes/new?order_id={order_id}&period=1"]
    monkeypatch.setattr(PAGE_CLOCK, lambda: closes)
    after = buyer.get(f"/buyer/orders/{order_id}").text
    assert f"The dispute window closed on {words}" in period_rows(after)[1]
    assert dispute_links(after) == []


@pytest.mark.parametrize(
    ("period", "status", "message"),
    [
        ("9", 404, "has no period 9"),
        ("", 409, "a dispute names the period"),
        ("0", 400, "greater than or equal to 1"),
    ],
    ids=["no-such-period", "no-period", "period-zero"],
)
def test_a_refused_period_dispute_form_shows_the_message_and_writes_nothing(  # noqa: PLR0917
    api: TestClient,
    page_runtime: Runtime,
    world: DisputeWorld,  # noqa: F811 -- the fixtures imported above
    browsers: dict[str, TestClient],  # noqa: F811
    period: str,
    status: int,
    message: str,
) -> None:
    buyer = browsers[BUYER_EMAIL]
    order_id = subscription(api, page_runtime, world, periods=2)
    before = kinds(api)
    body: dict[str, Any] = {
        "order_id": order_id, "period": period, "reason": "other", "statement": "Not as sold.",
    }  # fmt: skip
    r = post_form(buyer, f"/disputes/new?order_id={order_id}", "/disputes/new", body)
    assert r.status_code == status
    assert message in unescape(r.text)
    assert 'class="message field-error"' in r.text
    assert disputes_of(api, world.buyer) == []
    assert kinds(api) == before
