"""Paying, delivering, accepting and settling an order over HTTP: the supplier receives the
price minus the fee, the exchange the fee, and the books reconcile to zero. Every refusal
leaves no order and nothing held."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import PRICE_MINOR, entries, keyed, on_sale, place
from tests.marketplace.orders.money import balance, deliver, fee_revenue, fund, reconciled

FEE = PRICE_MINOR * 250 // 10_000  # the default 2.5 %, rounded down: 3,125


def purchase(api: TestClient, who: Party, listing_id: int, **body: Any) -> Any:
    return api.post(
        "/orders/purchase", json={"listing_id": listing_id, "purpose": "research", **body},
        headers=keyed(who.headers),
    )  # fmt: skip


def kinds(api: TestClient, order_id: int) -> list[str]:
    return [e["kind"] for e in entries(api, f"order:{order_id}")]


def test_deposit_purchase_delivery_acceptance_settlement(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine = asset_runtime.engine
    fund(engine, buyer.organization_id, 200_000)
    listing = on_sale(api, supplier, ops)

    r = purchase(api, buyer, listing["id"])
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["status"], order["fee_minor"], order["needs_approval"]) == ("paid", FEE, False)
    assert order["paid_at"] is not None
    assert balance(engine, buyer.organization_id) == (200_000 - PRICE_MINOR, PRICE_MINOR)
    assert reconciled(engine)

    early = api.post(f"/orders/{order['id']}/accept", headers=keyed(buyer.headers))
    assert (early.status_code, early.json()["error"]) == (409, "order_state")
    assert early.json()["message"] == "cannot accept an order that is paid; it must be delivered"

    deliver(engine, order["id"])
    deliver(engine, order["id"])  # a second download changes nothing
    shown = api.get(f"/orders/{order['id']}", headers=buyer.headers).json()
    assert shown["status"] == "delivered"
    assert shown["accept_by"] is not None

    not_theirs = api.post(f"/orders/{order['id']}/accept", headers=keyed(supplier.headers))
    assert (not_theirs.status_code, not_theirs.json()["error"]) == (403, "not_order_buyer")

    done = api.post(f"/orders/{order['id']}/accept", headers=keyed(buyer.headers))
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["settled_at"] is not None) == ("settled", True)
    assert balance(engine, buyer.organization_id) == (200_000 - PRICE_MINOR, 0)
    assert balance(engine, supplier.organization_id) == (PRICE_MINOR - FEE, 0)
    assert fee_revenue(engine) == FEE
    assert reconciled(engine)
    assert kinds(api, order["id"]) == [
        "order.placed", "order.paid", "licence.granted", "order.delivered", "order.accepted",
        "order.settled",
    ]  # fmt: skip
    hold = entries(api, f"hold:{order['hold_id']}")
    assert [e["kind"] for e in hold] == ["escrow.held", "settlement.released"]

    again = api.post(f"/orders/{order['id']}/accept", headers=keyed(buyer.headers))
    assert (again.status_code, again.json()["error"]) == (409, "order_state")
    assert fee_revenue(engine) == FEE  # money never moves twice


def test_a_buyer_that_cannot_pay_leaves_no_order_and_nothing_held(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine = asset_runtime.engine
    fund(engine, buyer.organization_id, PRICE_MINOR - 1)
    listing = on_sale(api, supplier, ops, terms={"exclusive": True})
    r = purchase(api, buyer, listing["id"])
    assert (r.status_code, r.json()["error"]) == (409, "insufficient_funds")
    assert balance(engine, buyer.organization_id) == (PRICE_MINOR - 1, 0)
    assert api.get("/orders", headers=buyer.headers).json()["items"] == []
    assert entries(api, "order:1") == []
    assert reconciled(engine)
    fund(engine, buyer.organization_id, 1)  # the exclusive listing is still for sale
    assert purchase(api, buyer, listing["id"]).status_code == 201


def test_paying_a_placed_order_and_the_refusals_of_pay(
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    *,
    rival: Party,
    ops: Party,
) -> None:
    engine = asset_runtime.engine
    listing = on_sale(api, supplier, ops)
    order = place(api, buyer, listing["id"])
    path = f"/orders/{order['id']}/pay"

    short = api.post(path, headers=keyed(buyer.headers))
    assert (short.status_code, short.json()["error"]) == (409, "insufficient_funds")
    assert api.get(f"/orders/{order['id']}", headers=buyer.headers).json()["status"] == "placed"
    assert balance(engine, buyer.organization_id) == (0, 0)

    fund(engine, buyer.organization_id, PRICE_MINOR)
    assert api.post(path, headers=keyed(supplier.headers)).json()["error"] == "not_order_buyer"
    assert api.post(path, headers=keyed(rival.headers)).status_code == 404
    paid = api.post(path, headers=keyed(buyer.headers))
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    twice = api.post(path, headers=keyed(buyer.headers))
    assert (twice.status_code, twice.json()["error"]) == (409, "order_state")
    assert balance(engine, buyer.organization_id) == (0, PRICE_MINOR)
    cancel = api.post(f"/orders/{order['id']}/cancel", headers=keyed(buyer.headers))
    assert (cancel.status_code, cancel.json()["error"]) == (409, "order_state")
    assert reconciled(engine)


def test_the_fee_follows_the_asset_s_category(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    """The helpers' asset is themed ``agriculture``."""
    settings = asset_runtime.settings.model_copy(
        update={"exchange_fee_bp_by_category": {"Agriculture": 99}}
    )
    asset_runtime.settings = settings
    fund(asset_runtime.engine, buyer.organization_id, PRICE_MINOR)
    listing = on_sale(api, supplier, ops)
    order = purchase(api, buyer, listing["id"]).json()
    assert order["fee_minor"] == PRICE_MINOR * 99 // 10_000 == 1_237
