"""Who sees an order (its buyer's and supplier's organisations; to anyone else it does not
exist), the cursor-paged list of one's orders, and cancelling: the buyer only, a placed order
only, journaled."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import entries, on_sale, order_kinds, place


def test_an_order_is_seen_by_its_buyer_and_supplier_and_by_nobody_else(
    api: TestClient, supplier: Party, buyer: Party, rival: Party, ops: Party
) -> None:
    order = place(api, buyer, on_sale(api, supplier, ops)["id"])
    path = f"/orders/{order['id']}"
    assert api.get(path, headers=buyer.headers).json() == order
    assert api.get(path, headers=supplier.headers).json() == order
    for outsider in (rival, ops):
        r = api.get(path, headers=outsider.headers)
        assert r.status_code == 404, r.text
        assert r.json() == {"error": "order_not_found", "message": f"no order {order['id']}"}
    missing = api.get("/orders/999999", headers=buyer.headers)
    assert (missing.status_code, missing.json()["message"]) == (404, "no order 999999")
    assert api.get(path).status_code == 401


def test_the_list_is_mine_newest_first_and_paged_by_cursor(
    api: TestClient, supplier: Party, buyer: Party, rival: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    ids = [place(api, buyer, listing["id"])["id"] for _ in range(3)]
    other = place(api, rival, on_sale(api, supplier, ops)["id"])["id"]

    first = api.get("/orders", params={"limit": 2}, headers=buyer.headers).json()
    assert [o["id"] for o in first["items"]] == [ids[2], ids[1]]
    assert first["next_before_id"] == ids[1]
    rest = api.get(
        "/orders", params={"limit": 2, "before_id": first["next_before_id"]}, headers=buyer.headers
    ).json()
    assert [o["id"] for o in rest["items"]] == [ids[0]]
    assert rest["next_before_id"] is None

    supplied = api.get("/orders", headers=supplier.headers).json()
    assert [o["id"] for o in supplied["items"]] == [other, *reversed(ids)]
    assert [o["id"] for o in api.get("/orders", headers=rival.headers).json()["items"]] == [other]
    assert api.get("/orders", headers=ops.headers).json()["items"] == []


def test_the_buyer_cancels_a_placed_order_once_and_it_is_journaled(
    api: TestClient, supplier: Party, buyer: Party, rival: Party, ops: Party
) -> None:
    order = place(api, buyer, on_sale(api, supplier, ops)["id"])
    path = f"/orders/{order['id']}/cancel"

    by_supplier = api.post(path, headers=supplier.headers)
    assert (by_supplier.status_code, by_supplier.json()["error"]) == (403, "not_order_buyer")
    assert api.post(path, headers=rival.headers).status_code == 404
    cancelled = api.post(path, headers=buyer.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    again = api.post(path, headers=buyer.headers)
    assert again.status_code == 409
    assert again.json() == {
        "error": "order_state",
        "message": "cannot cancel an order that is cancelled; it must be placed",
    }
    placed, gone = entries(api, f"order:{order['id']}")
    assert (placed["kind"], gone["kind"], gone["actor"]) == (
        "order.placed", "order.cancelled", buyer.address,
    )  # fmt: skip
    assert gone["payload"] == {
        "order_id": order["id"], "listing_id": order["listing_id"], "from": "placed",
        "to": "cancelled",
    }  # fmt: skip
    assert api.get(f"/orders/{order['id']}", headers=supplier.headers).json()["status"] == (
        "cancelled"
    )
    assert order_kinds(api) == ["order.placed", "order.cancelled"]
