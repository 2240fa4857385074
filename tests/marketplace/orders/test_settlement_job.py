"""The settlement job: a delivered order whose acceptance window has ended is accepted and
settled; a placed order never paid expires; two runs at once settle each order exactly once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from marketplace.orders.settlement_job import SettlementRun, run_once
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import PRICE_MINOR, entries, on_sale, place, post_order
from tests.marketplace.orders.money import balance, deliver, fee_revenue, fund, reconciled
from tests.marketplace.orders.test_settlement_http import FEE, purchase


def _at(api: TestClient, who: Party, order_id: int, field: str) -> datetime:
    return datetime.fromisoformat(api.get(f"/orders/{order_id}", headers=who.headers).json()[field])


def test_the_job_settles_an_order_once_its_acceptance_window_ends(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, PRICE_MINOR)
    listing = on_sale(api, supplier, ops, terms={"acceptance_window_h": 24})
    order = purchase(api, buyer, listing["id"]).json()
    deliver(engine, order["id"])
    accept_by = _at(api, buyer, order["id"], "accept_by")
    delivered_at = _at(api, buyer, order["id"], "delivered_at")
    assert accept_by - delivered_at == timedelta(hours=24)

    assert run_once(engine, settings, now=accept_by - timedelta(seconds=1)) == SettlementRun()
    run = run_once(engine, settings, now=accept_by)
    assert (run.settled, run.expired, run.failed) == ([order["id"]], [], {})
    shown = api.get(f"/orders/{order['id']}", headers=buyer.headers).json()
    assert shown["status"] == "settled"
    accepted = [e for e in entries(api, f"order:{order['id']}") if e["kind"] == "order.accepted"]
    assert accepted[0]["payload"]["by"] == "acceptance_window_ended"
    assert balance(engine, supplier.organization_id) == (PRICE_MINOR - FEE, 0)
    assert fee_revenue(engine) == FEE
    assert run_once(engine, settings, now=accept_by + timedelta(days=9)) == SettlementRun()
    assert reconciled(engine)


def test_the_job_expires_an_order_never_paid_and_frees_its_exclusive_listing(
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    *,
    rival: Party,
    ops: Party,
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    listing = on_sale(api, supplier, ops, terms={"exclusive": True})
    order = place(api, buyer, listing["id"])
    assert post_order(api, rival, listing["id"]).json()["error"] == "exclusive_taken"
    deadline = _at(api, buyer, order["id"], "created_at") + timedelta(
        seconds=settings.order_payment_window_s
    )
    assert run_once(engine, settings, now=deadline - timedelta(seconds=1)).expired == []
    assert run_once(engine, settings, now=deadline).expired == [order["id"]]
    assert api.get(f"/orders/{order['id']}", headers=buyer.headers).json()["status"] == "expired"
    assert [e["kind"] for e in entries(api, f"order:{order['id']}")] == [
        "order.placed",
        "order.expired",
    ]
    assert place(api, rival, listing["id"])["status"] == "placed"
    assert balance(engine, buyer.organization_id) == (0, 0)


ORDERS = 6


def test_two_runs_at_once_settle_each_order_exactly_once(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, PRICE_MINOR * ORDERS)
    listing = on_sale(api, supplier, ops)
    ids = []
    for _ in range(ORDERS):
        order = purchase(api, buyer, listing["id"]).json()
        deliver(engine, order["id"])
        ids.append(order["id"])
    later = _at(api, buyer, ids[-1], "accept_by")
    runs: list[SettlementRun] = []
    barrier = threading.Barrier(2)

    def go() -> None:
        barrier.wait()
        runs.append(run_once(engine, settings, now=later))

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(runs) == 2
    assert all(r.failed == {} for r in runs), runs
    settled = runs[0].settled + runs[1].settled
    assert sorted(settled) == sorted(ids)  # every order once: none twice, none missed
    assert balance(engine, supplier.organization_id) == ((PRICE_MINOR - FEE) * ORDERS, 0)
    assert fee_revenue(engine) == FEE * ORDERS
    assert reconciled(engine)
    for order_id in ids:
        assert [e["kind"] for e in entries(api, f"order:{order_id}")].count("order.settled") == 1
