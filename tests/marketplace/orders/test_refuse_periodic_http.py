"""An operator refuses an important asset's subscription or metered order: such an order holds
per period, not as a whole, so the refusal refunds each held period's hold in full, cancels
the periods still due, and the settlement job never charges or settles them afterwards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ledger.models import utc_now
from marketplace.orders.settlement_job import SettlementRun, run_once
from marketplace.runtime import Runtime
from marketplace.settings import Settings
from tests.marketplace.assets.helpers import Party
from tests.marketplace.listings.helpers import approved, create_listing, terms
from tests.marketplace.orders.helpers import entries, keyed
from tests.marketplace.orders.money import balance, fee_revenue, fund, reconciled
from tests.marketplace.orders.test_approval_http import decide
from tests.marketplace.orders.test_periods import METERED, MONTHLY, PER_PERIOD
from tests.marketplace.orders.test_settlement_http import purchase

REASON = "the buyer's purpose is not credible"


def _important(api: TestClient, supplier: Party, ops: Party, model: dict[str, Any]) -> int:
    asset_id = approved(api, supplier, ops, classification="important")
    listing = create_listing(
        api, supplier, asset_id, terms=terms(delivery_mode="key_wrapped"), price_model=model
    )
    return int(listing["id"])


def _periods(api: TestClient, who: Party, order_id: int) -> list[tuple[int, str]]:
    r = api.get(f"/orders/{order_id}/periods", headers=who.headers)
    assert r.status_code == 200, r.text
    return [(p["number"], p["status"]) for p in r.json()]


def _nothing_more(engine: Engine, settings: Settings) -> None:
    """Job runs over the next year and after: nothing is charged, settled or refused."""
    for days in (31, 62, 93, 400):
        run = run_once(engine, settings, now=utc_now() + timedelta(days=days))
        assert run == SettlementRun(), run


def test_refusing_a_subscription_refunds_its_held_period_and_nothing_is_charged_after(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, 3 * PER_PERIOD)
    order = purchase(api, buyer, _important(api, supplier, ops, MONTHLY), quantity=3).json()
    assert (order["status"], order["needs_approval"], order["hold_id"]) == ("paid", True, None)
    assert balance(engine, buyer.organization_id) == (2 * PER_PERIOD, PER_PERIOD)

    r = decide(api, ops, order["id"], "refuse", REASON)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "refunded"
    assert balance(engine, buyer.organization_id) == (3 * PER_PERIOD, 0)
    assert _periods(api, buyer, order["id"]) == [(1, "refunded")]

    _nothing_more(engine, settings)
    assert balance(engine, buyer.organization_id) == (3 * PER_PERIOD, 0)
    assert balance(engine, supplier.organization_id) == (0, 0)
    assert fee_revenue(engine) == 0
    assert _periods(api, buyer, order["id"]) == [(1, "refunded")]
    assert reconciled(engine)

    journal = entries(api, f"order:{order['id']}")
    assert [e["kind"] for e in journal] == [
        "order.placed", "period.charged", "order.paid", "period.refunded", "order.refused",
    ]  # fmt: skip
    refunded, refused = journal[-2], journal[-1]
    hold_id = refunded["payload"]["hold_id"]
    assert refused["payload"]["refunds"] == [
        {"hold_id": hold_id, "refunded_seq": refunded["payload"]["refunded_seq"]}
    ]
    assert (refused["payload"]["reason"], refused["payload"]["periods_closed"]) == (REASON, [1])
    hold = [e["kind"] for e in entries(api, f"hold:{hold_id}")]
    assert hold == ["escrow.held", "escrow.refunded"]
    twice = decide(api, ops, order["id"], "refuse", "again")
    assert (twice.status_code, twice.json()["error"]) == (409, "order_state")
    assert balance(engine, buyer.organization_id) == (3 * PER_PERIOD, 0)


def test_refusing_a_metered_order_cancels_its_due_period_and_usage_is_never_charged(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, 10_000)
    order = purchase(api, buyer, _important(api, supplier, ops, METERED)).json()
    assert (order["status"], order["needs_approval"]) == ("paid", True)
    usage = api.post(
        f"/orders/{order['id']}/usage", json={"units": 20}, headers=keyed(supplier.headers)
    )
    assert usage.status_code == 200, usage.text

    r = decide(api, ops, order["id"], "refuse", REASON)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "refunded"
    assert _periods(api, buyer, order["id"]) == [(1, "cancelled")]
    late = api.post(
        f"/orders/{order['id']}/usage", json={"units": 5}, headers=keyed(supplier.headers)
    )
    assert (late.status_code, late.json()["error"]) == (409, "order_state")

    _nothing_more(engine, settings)
    assert balance(engine, buyer.organization_id) == (10_000, 0)
    assert balance(engine, supplier.organization_id) == (0, 0)
    assert _periods(api, buyer, order["id"]) == [(1, "cancelled")]
    assert reconciled(engine)
    kinds = [e["kind"] for e in entries(api, f"order:{order['id']}")]
    assert kinds[-2:] == ["period.cancelled", "order.refused"]
    assert "period.charged" not in kinds


def test_a_subscription_awaiting_approval_pays_out_nothing_until_an_operator_approves_it(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, PER_PERIOD)
    order = purchase(api, buyer, _important(api, supplier, ops, MONTHLY)).json()
    assert (order["status"], order["needs_approval"]) == ("paid", True)
    ended = utc_now() + timedelta(days=40)  # the one period bought is over

    assert run_once(engine, settings, now=ended) == SettlementRun()  # not cleared: untouched
    assert _periods(api, buyer, order["id"]) == [(1, "held")]
    assert balance(engine, supplier.organization_id) == (0, 0)
    assert balance(engine, buyer.organization_id) == (0, PER_PERIOD)

    r = decide(api, ops, order["id"], "approve", "purpose and buyer checked")
    assert r.status_code == 200, r.text
    run = run_once(engine, settings, now=ended)
    assert run.periods_settled == [(order["id"], 1)]
    fee = fee_revenue(engine)
    assert balance(engine, supplier.organization_id) == (PER_PERIOD - fee, 0)
    assert reconciled(engine)
