"""The dispute window an order's terms signed is the one enforced (docs/disputes.md, "The dispute
window"): a settled order may be disputed for its terms' ``dispute_window_h`` after its
settlement, shorter or longer than the exchange's ``dispute_window_s``, which only an order
placed before orders kept their window falls back to; the upgrade gives such an order its
listing's window. The order shows the deadline the refusal enforces (``dispute_closes_at``),
and none before it is settled. (A period's window: test_period_disputes_http.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ledger.models import as_utc
from marketplace.migrations import alembic_config, upgrade
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.disputes.helpers import at, paid_order, post_dispute
from tests.marketplace.orders.helpers import keyed, on_sale
from tests.marketplace.orders.money import balance, deliver, fund

SECOND = timedelta(seconds=1)
DEFAULT_WINDOW = timedelta(days=14)  # the exchange's dispute_window_s by default


def _settled(
    api: TestClient, runtime: Runtime, supplier: Party, buyer: Party, ops: Party, **terms: Any
) -> tuple[dict[str, Any], datetime]:
    """An order of a listing whose terms are the helpers' with ``terms``, delivered and accepted
    (so settled); when it settled."""
    order = paid_order(api, runtime, supplier, buyer, ops, terms=terms)
    deliver(runtime.engine, order["id"])
    done = api.post(f"/orders/{order['id']}/accept", headers=keyed(buyer.headers))
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "settled"
    return order, datetime.fromisoformat(done.json()["settled_at"])


def _shown(api: TestClient, who: Party, order_id: int) -> tuple[int | None, datetime | None]:
    """The order's dispute window and deadline as ``GET /orders/{id}`` shows them to ``who``."""
    r = api.get(f"/orders/{order_id}", headers=who.headers)
    assert r.status_code == 200, r.text
    closes = r.json()["dispute_closes_at"]
    return r.json()["dispute_window_h"], None if closes is None else as_utc(
        datetime.fromisoformat(closes)
    )


def _window_closed(api: TestClient, who: Party, order_id: int) -> str:
    r = post_dispute(api, who, order_id)
    assert (r.status_code, r.json()["error"]) == (409, "dispute_window_closed"), r.text
    message: str = r.json()["message"]
    return message


@pytest.mark.parametrize("window_h", [24, 2_160], ids=["a-day", "ninety-days"])
def test_a_settled_order_may_be_disputed_for_the_window_its_terms_signed(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch, window_h: int,
) -> None:  # fmt: skip
    assert asset_runtime.settings.dispute_window_s == DEFAULT_WINDOW.total_seconds()
    order, settled_at = _settled(
        api, asset_runtime, supplier, buyer, ops, dispute_window_h=window_h
    )
    window, closes = _shown(api, buyer, order["id"])
    assert closes is not None
    assert (window, closes) == (window_h, as_utc(settled_at) + timedelta(hours=window_h))
    assert _shown(api, supplier, order["id"]) == (window_h, closes)  # both parties see it
    proceeds = balance(asset_runtime.engine, supplier.organization_id)

    at(monkeypatch, closes)
    message = _window_closed(api, buyer, order["id"])
    assert closes.isoformat()[:19] in message
    assert f"the dispute window its terms signed: {window_h:,} h after settlement" in message
    assert balance(asset_runtime.engine, supplier.organization_id) == proceeds  # nothing held

    # A second before: the supplier's proceeds are clawed back, whether that is a day after
    # settlement or well past the exchange's fourteen days.
    at(monkeypatch, closes - SECOND)
    r = post_dispute(api, buyer, order["id"])
    assert r.status_code == 201, r.text
    assert r.json()["clawback"] is True
    assert balance(asset_runtime.engine, supplier.organization_id) == (0, proceeds[0])


def test_a_ninety_day_window_still_takes_a_dispute_after_the_exchanges_fourteen_days(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    order, settled_at = _settled(api, asset_runtime, supplier, buyer, ops, dispute_window_h=2_160)
    at(monkeypatch, settled_at + DEFAULT_WINDOW)
    r = post_dispute(api, buyer, order["id"])
    assert r.status_code == 201, r.text
    assert r.json()["clawback"] is True


def _forget_window(engine: Engine, order_id: int) -> None:
    """The order as one placed before orders kept their window."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE purchase_order SET dispute_window_h = NULL WHERE id = :id"),
            {"id": order_id},
        )


def test_an_order_placed_before_orders_kept_their_window_has_the_exchanges(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    order, settled_at = _settled(api, asset_runtime, supplier, buyer, ops, dispute_window_h=24)
    _forget_window(asset_runtime.engine, order["id"])
    window, closes = _shown(api, buyer, order["id"])
    assert closes is not None
    assert (window, closes) == (None, as_utc(settled_at) + DEFAULT_WINDOW)

    at(monkeypatch, closes)
    message = _window_closed(api, buyer, order["id"])
    assert closes.isoformat()[:19] in message
    assert "the exchange's dispute window" in message
    at(monkeypatch, closes - SECOND)
    r = post_dispute(api, buyer, order["id"])
    assert r.status_code == 201, r.text


def test_an_order_not_settled_shows_its_window_and_no_deadline(
    *, api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    """Placed or paid, a dispute freezes the escrow hold instead: no deadline yet."""
    fund(asset_runtime.engine, buyer.organization_id, 200_000)
    listing = on_sale(api, supplier, ops, terms={"dispute_window_h": 72})
    r = api.post(
        "/orders", json={"listing_id": listing["id"], "purpose": "research"},
        headers=keyed(buyer.headers),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["dispute_window_h"]) == ("placed", 72)
    assert r.json()["dispute_closes_at"] is None
    assert _shown(api, buyer, r.json()["id"]) == (72, None)
    paid = api.post(f"/orders/{r.json()['id']}/pay", headers=keyed(buyer.headers))
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["dispute_closes_at"]) == ("paid", None)
    listed = api.get("/orders", headers=supplier.headers).json()["items"]
    assert [(o["dispute_window_h"], o["dispute_closes_at"]) for o in listed] == [(72, None)]


def _windows(engine: Engine) -> dict[int, int | None]:
    """Each order's id -> its ``dispute_window_h`` as stored."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, dispute_window_h FROM purchase_order")).all()
    return {row[0]: row[1] for row in rows}


def test_the_upgrade_gives_each_order_from_before_it_its_listings_window(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    engine = asset_runtime.engine
    short, settled_at = _settled(api, asset_runtime, supplier, buyer, ops, dispute_window_h=24)
    long = paid_order(api, asset_runtime, supplier, buyer, ops, terms={"dispute_window_h": 2_160})
    assert _windows(engine) == {short["id"]: 24, long["id"]: 2_160}
    command.downgrade(alembic_config(engine), "redraw")

    upgrade(engine)

    assert _windows(engine) == {short["id"]: 24, long["id"]: 2_160}
    at(monkeypatch, settled_at + timedelta(hours=24))
    assert "24 h after settlement" in _window_closed(api, buyer, short["id"])
