"""Important data (重要数据): each paid order waits for an operator's approval before delivery,
journaled with the reason; a refused order is refunded in full. The licence (``paid_hooks``)
is granted at payment, or for important data at approval, never before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace.orders import service as orders
from marketplace.orders.errors import AwaitingApproval
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.listings.helpers import approved, create_listing, terms
from tests.marketplace.orders.helpers import PRICE_MINOR, entries, keyed, on_sale
from tests.marketplace.orders.money import balance, deliver, fund, reconciled
from tests.marketplace.orders.test_settlement_http import purchase

REASON = "buyer's security assessment on file (DSL art. 21)"


@pytest.fixture
def granted() -> Iterator[list[tuple[int, str]]]:
    """(order id, status) of each order the paid hooks saw."""
    seen: list[tuple[int, str]] = []

    def hook(_: Session, order: orders.OrderView) -> None:
        seen.append((order.id, order.status))

    orders.paid_hooks.append(hook)
    yield seen
    orders.paid_hooks.remove(hook)


def important_listing(api: TestClient, supplier: Party, ops: Party) -> dict[str, Any]:
    asset_id = approved(api, supplier, ops, classification="important")
    return create_listing(api, supplier, asset_id, terms=terms(delivery_mode="key_wrapped"))


def decide(api: TestClient, who: Party, order_id: int, decision: str, reason: str) -> Any:
    return api.post(
        f"/orders/{order_id}/{decision}", json={"reason": reason}, headers=keyed(who.headers)
    )


def test_an_important_asset_s_order_is_delivered_only_after_an_operator_approves_it(
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    ops: Party,
    *,
    granted: list[tuple[int, str]],
) -> None:
    engine = asset_runtime.engine
    fund(engine, buyer.organization_id, PRICE_MINOR)
    order = purchase(api, buyer, important_listing(api, supplier, ops)["id"]).json()
    assert (order["status"], order["needs_approval"]) == ("paid", True)
    assert granted == []  # no licence before the approval
    with pytest.raises(AwaitingApproval, match="an operator must approve it"):
        deliver(engine, order["id"])

    refused = decide(api, buyer, order["id"], "approve", REASON)
    assert (refused.status_code, refused.json()["error"]) == (403, "role_required")
    blank = decide(api, ops, order["id"], "approve", "   ")
    assert blank.status_code == 422
    ok = decide(api, ops, order["id"], "approve", REASON)
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "approved"
    assert granted == [(order["id"], "approved")]
    kinds = [e["kind"] for e in entries(api, f"order:{order['id']}")]
    assert kinds == ["order.placed", "order.paid", "order.approved", "licence.granted"]
    entry = entries(api, f"order:{order['id']}")[2]
    assert entry["payload"]["reason"] == REASON
    assert entry["actor"] == ops.address

    deliver(engine, order["id"])
    shown = api.get(f"/orders/{order['id']}", headers=buyer.headers).json()
    assert shown["status"] == "delivered"
    again = decide(api, ops, order["id"], "refuse", REASON)
    assert (again.status_code, again.json()["error"]) == (409, "order_state")


def test_a_refused_order_is_refunded_in_full(
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    ops: Party,
    *,
    granted: list[tuple[int, str]],
) -> None:
    engine = asset_runtime.engine
    fund(engine, buyer.organization_id, PRICE_MINOR)
    order = purchase(api, buyer, important_listing(api, supplier, ops)["id"]).json()
    assert balance(engine, buyer.organization_id) == (0, PRICE_MINOR)

    r = decide(api, ops, order["id"], "refuse", "the buyer's purpose is not credible")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "refunded"
    assert balance(engine, buyer.organization_id) == (PRICE_MINOR, 0)
    assert balance(engine, supplier.organization_id) == (0, 0)
    assert reconciled(engine)
    assert granted == []
    kinds = [e["kind"] for e in entries(api, f"order:{order['id']}")]
    assert kinds == ["order.placed", "order.paid", "order.refused"]
    hold = [e["kind"] for e in entries(api, f"hold:{order['hold_id']}")]
    assert hold == ["escrow.held", "escrow.refunded"]
    twice = decide(api, ops, order["id"], "refuse", "again")
    assert (twice.status_code, twice.json()["error"]) == (409, "order_state")
    assert balance(engine, buyer.organization_id) == (PRICE_MINOR, 0)


def test_other_orders_need_no_approval_and_get_their_licence_when_paid(
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    ops: Party,
    *,
    granted: list[tuple[int, str]],
) -> None:
    fund(asset_runtime.engine, buyer.organization_id, PRICE_MINOR)
    order = purchase(api, buyer, on_sale(api, supplier, ops)["id"]).json()
    assert (order["needs_approval"], granted) == (False, [(order["id"], "paid")])
    for decision in ("approve", "refuse"):
        r = decide(api, ops, order["id"], decision, REASON)
        assert (r.status_code, r.json()["error"]) == (409, "no_approval_needed")
    assert balance(asset_runtime.engine, buyer.organization_id) == (0, PRICE_MINOR)
    assert decide(api, ops, 999_999, "approve", REASON).status_code == 404


def test_operators_find_the_orders_that_wait_for_their_decision(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine = asset_runtime.engine
    fund(engine, buyer.organization_id, 3 * PRICE_MINOR)
    important = important_listing(api, supplier, ops)["id"]
    first, second = (purchase(api, buyer, important).json() for _ in range(2))
    plain = purchase(api, buyer, on_sale(api, supplier, ops)["id"]).json()
    assert not plain["needs_approval"]

    def queue(**params: Any) -> dict[str, Any]:
        r = api.get("/orders/awaiting-approval", params=params, headers=ops.headers)
        assert r.status_code == 200, r.text
        page: dict[str, Any] = r.json()
        return page

    assert [o["id"] for o in queue()["items"]] == [second["id"], first["id"]]  # newest first
    one = queue(limit=1)
    assert [o["id"] for o in one["items"]] == [second["id"]]
    assert [o["id"] for o in queue(before_id=one["next_before_id"])["items"]] == [first["id"]]
    for who in (buyer, supplier):  # the queue spans organisations: operators only
        r = api.get("/orders/awaiting-approval", headers=who.headers)
        assert (r.status_code, r.json()["error"]) == (403, "role_required")

    assert decide(api, ops, first["id"], "approve", REASON).status_code == 200
    assert (
        decide(api, ops, second["id"], "refuse", "no security assessment on file").status_code
        == 200
    )
    assert queue()["items"] == []
    # The buyer learns each decision and why, in its inbox (the supplier sees the status).
    told = api.get("/inbox", headers=buyer.headers).json()["items"]
    decisions = {n["kind"]: n["payload"] for n in told if n["kind"].startswith("order.")}
    assert decisions["order.approved"] == {
        "order_id": first["id"], "status": "approved", "reason": REASON
    }  # fmt: skip
    assert decisions["order.refused"] == {
        "order_id": second["id"], "status": "refunded", "reason": "no security assessment on file"
    }  # fmt: skip
