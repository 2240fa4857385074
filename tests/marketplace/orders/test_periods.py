"""Subscriptions and metered usage (docs/orders.md#subscriptions-and-metered-usage): each period
is charged and settled by the escrow path every order uses, once, however many runners go."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from marketplace.orders.settlement_job import SettlementRun, run_once
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import entries, keyed, on_sale
from tests.marketplace.orders.money import balance, deliver, fee_revenue, fund, reconciled
from tests.marketplace.orders.test_settlement_http import purchase

PER_PERIOD = 40_000
PERIOD_FEE = PER_PERIOD * 250 // 10_000  # the default 2.5 %: 1,000
MONTHLY: dict[str, Any] = {"kind": "subscription", "amount_minor": PER_PERIOD, "period": "month"}


def _periods(api: TestClient, who: Party, order_id: int) -> list[dict[str, Any]]:
    r = api.get(f"/orders/{order_id}/periods", headers=who.headers)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


def _end(period: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(period["ends_at"])


def test_a_three_period_subscription_charges_three_times_and_the_supplier_gets_each_payout(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, 3 * PER_PERIOD + 5)
    listing = on_sale(api, supplier, ops, price_model=MONTHLY)
    r = purchase(api, buyer, listing["id"], quantity=3)
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["status"], order["price_minor"], order["hold_id"]) == (
        "paid",
        3 * PER_PERIOD,
        None,
    )
    # Only the first period is held: a buyer pays each month as it starts.
    assert balance(engine, buyer.organization_id) == (2 * PER_PERIOD + 5, PER_PERIOD)
    [first] = _periods(api, buyer, order["id"])
    assert (first["number"], first["status"], first["amount_minor"]) == (1, "held", PER_PERIOD)
    deliver(engine, order["id"])

    ends = []
    for number in (1, 2, 3):
        period = _periods(api, buyer, order["id"])[number - 1]
        assert (period["number"], period["status"]) == (number, "held")
        end = _end(period)
        assert run_once(engine, settings, now=end - timedelta(seconds=1)).periods_settled == []
        run = run_once(engine, settings, now=end)
        assert run.periods_settled == [(order["id"], number)]
        assert run.periods_charged == ([(order["id"], number + 1)] if number < 3 else [])
        ends.append(end)
        assert balance(engine, supplier.organization_id) == (number * (PER_PERIOD - PERIOD_FEE), 0)
    assert ends[0] < ends[1] < ends[2]

    shown = _periods(api, supplier, order["id"])
    assert [(p["number"], p["status"]) for p in shown] == [
        (1, "settled"),
        (2, "settled"),
        (3, "settled"),
    ]
    assert balance(engine, buyer.organization_id) == (5, 0)
    assert balance(engine, supplier.organization_id) == (3 * (PER_PERIOD - PERIOD_FEE), 0)
    assert fee_revenue(engine) == 3 * PERIOD_FEE
    assert api.get(f"/orders/{order['id']}", headers=buyer.headers).json()["status"] == "settled"
    kinds = [e["kind"] for e in entries(api, f"order:{order['id']}")]
    assert kinds.count("period.charged") == 3
    assert kinds.count("period.settled") == 3
    assert kinds.count("order.settled") == 1
    assert run_once(engine, settings, now=ends[2] + timedelta(days=400)) == SettlementRun()
    assert reconciled(engine)


def test_a_renewal_the_buyer_cannot_pay_is_refused_with_nothing_held_and_the_buyer_notified(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, PER_PERIOD + 10)
    listing = on_sale(api, supplier, ops, price_model={**MONTHLY, "auto_renew": True})
    order = purchase(api, buyer, listing["id"]).json()
    r = api.post(f"/orders/{order['id']}/renewal", json={"auto_renew": True}, headers=buyer.headers)
    assert r.status_code == 200, r.text
    end = _end(_periods(api, buyer, order["id"])[0])

    run = run_once(engine, settings, now=end)
    assert (run.periods_settled, run.periods_refused) == ([(order["id"], 1)], [(order["id"], 2)])
    assert run.periods_charged == []
    shown = _periods(api, buyer, order["id"])
    assert [(p["number"], p["status"], p["renewal"]) for p in shown] == [
        (1, "settled", False),
        (2, "refused", True),
    ]
    assert balance(engine, buyer.organization_id) == (10, 0)  # nothing held for period 2
    inbox = api.get("/inbox", headers=buyer.headers).json()["items"]
    refused = [n for n in inbox if n["kind"] == "order.period_refused"]
    assert len(refused) == 1
    assert refused[0]["payload"]["period"] == 2
    assert refused[0]["payload"]["licence_ends_at"] == end.isoformat()
    assert "insufficient funds" in refused[0]["payload"]["reason"]
    # The supplier learns that the periods it expected stop.
    told = api.get("/inbox", headers=supplier.headers).json()["items"]
    assert [n["payload"]["period"] for n in told if n["kind"] == "order.period_refused"] == [2]
    # The plan has stopped: later runs charge nothing more, even once the buyer is funded.
    fund(engine, buyer.organization_id, 10 * PER_PERIOD)
    assert run_once(engine, settings, now=end + timedelta(days=90)) == SettlementRun()
    assert balance(engine, supplier.organization_id) == (PER_PERIOD - PERIOD_FEE, 0)
    assert reconciled(engine)


def test_a_subscription_buys_and_renews_no_month_past_its_licence(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    """The terms' licence lasts 75 days: three monthly periods start within it, whatever the
    date (the third after at most 62 days, a fourth after at least 87). A fourth is not sold,
    and renewal, though opted into, charges no month without a licence."""
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, 10 * PER_PERIOD)
    listing = on_sale(
        api, supplier, ops, price_model={**MONTHLY, "auto_renew": True},
        terms={"licence_duration_days": 75},
    )  # fmt: skip
    r = purchase(api, buyer, listing["id"], quantity=4)
    assert (r.status_code, r.json()["error"]) == (422, "invalid_quantity"), r.text
    assert "the licence lasts 75 days: 3 monthly periods start within it" in r.json()["message"]
    assert balance(engine, buyer.organization_id) == (10 * PER_PERIOD, 0)

    r = purchase(api, buyer, listing["id"], quantity=3)
    assert r.status_code == 201, r.text
    order = r.json()
    r = api.post(f"/orders/{order['id']}/renewal", json={"auto_renew": True}, headers=buyer.headers)
    assert r.status_code == 200, r.text
    deliver(engine, order["id"])
    for number in (1, 2, 3):
        end = _end(_periods(api, buyer, order["id"])[number - 1])
        run = run_once(engine, settings, now=end)
        assert run.periods_settled == [(order["id"], number)]
        assert run.periods_charged == ([(order["id"], number + 1)] if number < 3 else [])
    assert run_once(engine, settings, now=end + timedelta(days=400)) == SettlementRun()
    assert [p["status"] for p in _periods(api, buyer, order["id"])] == ["settled"] * 3
    assert api.get(f"/orders/{order['id']}", headers=buyer.headers).json()["status"] == "settled"
    assert balance(engine, buyer.organization_id) == (7 * PER_PERIOD, 0)
    assert balance(engine, supplier.organization_id) == (3 * (PER_PERIOD - PERIOD_FEE), 0)
    assert reconciled(engine)


def test_renewal_is_refused_when_the_listing_does_not_renew_and_to_anyone_but_the_buyer(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    fund(asset_runtime.engine, buyer.organization_id, PER_PERIOD)
    listing = on_sale(api, supplier, ops, price_model=MONTHLY)
    order = purchase(api, buyer, listing["id"]).json()
    url = f"/orders/{order['id']}/renewal"
    r = api.post(url, json={"auto_renew": True}, headers=buyer.headers)
    assert (r.status_code, r.json()["error"]) == (409, "order_state")
    assert "does not renew" in r.json()["message"]
    r = api.post(url, json={"auto_renew": True}, headers=supplier.headers)
    assert (r.status_code, r.json()["error"]) == (403, "not_order_buyer")
    r = api.post(url, json={"auto_renew": "yes"}, headers=buyer.headers)
    assert r.status_code == 422


METERED: dict[str, Any] = {
    "kind": "metered", "unit": "api_call", "unit_price_minor": 100, "cap_minor": 5_000,
}  # fmt: skip


def _usage(api: TestClient, who: Party, order_id: int, units: Any) -> Any:
    return api.post(f"/orders/{order_id}/usage", json={"units": units}, headers=keyed(who.headers))


def test_metered_usage_is_charged_at_the_period_end_capped(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, 20_000)
    listing = on_sale(api, supplier, ops, price_model=METERED)
    order = purchase(api, buyer, listing["id"]).json()
    assert order["status"] == "paid"
    assert balance(engine, buyer.organization_id) == (20_000, 0)  # usage is paid in arrears
    assert _usage(api, supplier, order["id"], 30).json()["units"] == 30
    assert _usage(api, supplier, order["id"], 40).json()["units"] == 70  # 7,000 before the cap
    r = _usage(api, buyer, order["id"], 5)
    assert (r.status_code, r.json()["error"]) == (403, "not_order_supplier")
    assert _usage(api, supplier, order["id"], 0).status_code == 422
    assert _usage(api, supplier, order["id"], -3).status_code == 422
    end = _end(_periods(api, buyer, order["id"])[0])

    run = run_once(engine, settings, now=end)
    assert (run.periods_charged, run.periods_settled) == ([(order["id"], 1)], [(order["id"], 1)])
    first, second = _periods(api, buyer, order["id"])
    assert (first["status"], first["units"], first["amount_minor"]) == ("settled", 70, 5_000)
    assert (second["number"], second["status"], second["units"]) == (2, "due", 0)
    fee = 5_000 * 250 // 10_000
    assert balance(engine, buyer.organization_id) == (15_000, 0)
    assert balance(engine, supplier.organization_id) == (5_000 - fee, 0)
    # A period with no usage charges nothing.
    run_once(engine, settings, now=_end(second))
    assert _periods(api, buyer, order["id"])[1]["status"] == "waived"
    assert balance(engine, buyer.organization_id) == (15_000, 0)
    assert reconciled(engine)


ORDERS = 4


def test_two_runners_at_once_charge_and_settle_each_period_once(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, 2 * PER_PERIOD * ORDERS)
    listing = on_sale(api, supplier, ops, price_model=MONTHLY)
    ids = [purchase(api, buyer, listing["id"], quantity=2).json()["id"] for _ in range(ORDERS)]
    later = max(_end(_periods(api, buyer, i)[0]) for i in ids)
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
    assert all(r.periods_failed == {} for r in runs), runs
    settled = runs[0].periods_settled + runs[1].periods_settled
    charged = runs[0].periods_charged + runs[1].periods_charged
    assert sorted(settled) == sorted((i, 1) for i in ids)
    assert sorted(charged) == sorted((i, 2) for i in ids)
    assert balance(engine, buyer.organization_id) == (0, PER_PERIOD * ORDERS)
    assert balance(engine, supplier.organization_id) == ((PER_PERIOD - PERIOD_FEE) * ORDERS, 0)
    for order_id in ids:
        kinds = [e["kind"] for e in entries(api, f"order:{order_id}")]
        assert (kinds.count("period.charged"), kinds.count("period.settled")) == (2, 1)
    assert reconciled(engine)


def test_an_exclusive_subscription_closes_its_listing_when_its_last_period_settles(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, PER_PERIOD)
    listing = on_sale(api, supplier, ops, price_model=MONTHLY, terms={"exclusive": True})
    order = purchase(api, buyer, listing["id"]).json()
    deliver(engine, order["id"])
    r = api.post(f"/orders/{order['id']}/accept", headers=keyed(buyer.headers))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"  # its money moves per period: nothing released yet
    assert balance(engine, buyer.organization_id) == (0, PER_PERIOD)
    run_once(engine, settings, now=_end(_periods(api, buyer, order["id"])[0]))
    assert api.get(f"/orders/{order['id']}", headers=buyer.headers).json()["status"] == "settled"
    assert api.get(f"/listings/{listing['id']}").json()["status"] == "closed"
    assert balance(engine, supplier.organization_id) == (PER_PERIOD - PERIOD_FEE, 0)
    assert reconciled(engine)
