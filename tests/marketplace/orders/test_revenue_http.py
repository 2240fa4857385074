"""A public-data listing's revenue against its ceiling: cost plus margin, the price charged,
and the settled orders (said in words: orders still in escrow are not counted). Its supplier
and operators read it; nobody else."""

from __future__ import annotations

from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import PUBLIC_DATA, keyed, on_sale, place
from tests.marketplace.orders.money import deliver, fund
from tests.marketplace.orders.test_settlement_http import purchase


def test_revenue_counts_settled_orders_against_the_ceiling(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops, price_model=PUBLIC_DATA)
    path = f"/listings/{listing['id']}/revenue"
    empty = api.get(path, headers=supplier.headers).json()
    assert (empty["orders"], empty["revenue_minor"]) == (0, 0)

    fund(asset_runtime.engine, buyer.organization_id, 3 * 105_000)
    settled = [purchase(api, buyer, listing["id"]).json() for _ in range(2)]
    for order in settled:
        deliver(asset_runtime.engine, order["id"])
        r = api.post(f"/orders/{order['id']}/accept", headers=keyed(buyer.headers))
        assert r.json()["status"] == "settled"
    purchase(api, buyer, listing["id"])  # paid: in escrow, not counted
    cancelled = place(api, buyer, listing["id"])
    assert api.post(f"/orders/{cancelled['id']}/cancel", headers=buyer.headers).status_code == 200

    report = api.get(path, headers=supplier.headers)
    assert report.status_code == 200, report.text
    body = report.json()
    assert {k: body[k] for k in body if k != "basis"} == {
        "listing_id": listing["id"],
        "currency": "CNY",
        "cost_minor": 100_000,
        "margin_bp": 1_000,
        "ceiling_minor": 110_000,
        "price_minor": 105_000,
        "within_ceiling": True,
        "orders": 2,
        "quantity": 2,
        "revenue_minor": 210_000,
        "ceiling_revenue_minor": 220_000,
    }
    assert body["basis"].startswith("settled orders")
    assert "in escrow are not counted" in body["basis"]
    assert api.get(path, headers=ops.headers).json() == body


def test_only_the_supplier_and_operators_see_revenue(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops, price_model=PUBLIC_DATA)
    path = f"/listings/{listing['id']}/revenue"
    r = api.get(path, headers=buyer.headers)
    assert (r.status_code, r.json()["error"]) == (403, "revenue_forbidden")
    assert api.get(path).status_code == 401


def test_revenue_against_a_ceiling_is_for_public_data_listings_only(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    r = api.get(f"/listings/{listing['id']}/revenue", headers=supplier.headers)
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "not_public_data"
    assert "fixed" in r.json()["message"]
    assert api.get("/listings/999999/revenue", headers=supplier.headers).status_code == 404
