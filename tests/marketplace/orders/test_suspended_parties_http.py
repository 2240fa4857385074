"""An organisation suspended by the operators: its listings cannot be bought (409
supplier_suspended) until it is reinstated, and the money of its orders is not trapped: the
settlement job settles them as before, whichever side is suspended."""

from __future__ import annotations

from datetime import datetime

import httpx
from fastapi.testclient import TestClient

from marketplace.orders.settlement_job import run_once
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import PRICE_MINOR, on_sale, post_order
from tests.marketplace.orders.money import balance, deliver, fund, reconciled
from tests.marketplace.orders.test_settlement_http import FEE, purchase


def _suspend(api: TestClient, ops: Party, who: Party) -> None:
    r = api.post(
        f"/organizations/{who.organization_id}/suspend",
        json={"reason": "under investigation"},
        headers=ops.headers,
    )
    assert r.status_code == 200, r.text


def _refused_as_suspended_supplier(r: httpx.Response, listing_id: int) -> None:
    assert r.status_code == 409, r.text
    assert r.json() == {
        "error": "supplier_suspended",
        "message": f"listing {listing_id}'s supplier is suspended by the exchange's operators; "
        "it cannot be bought until they reinstate it",
    }


def test_a_suspended_suppliers_listing_cannot_be_bought_until_reinstated(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine = asset_runtime.engine
    fund(engine, buyer.organization_id, PRICE_MINOR)
    listing = on_sale(api, supplier, ops)
    _suspend(api, ops, supplier)

    _refused_as_suspended_supplier(post_order(api, buyer, listing["id"]), listing["id"])
    _refused_as_suspended_supplier(purchase(api, buyer, listing["id"]), listing["id"])
    assert api.get("/orders", headers=buyer.headers).json()["items"] == []
    assert balance(engine, buyer.organization_id) == (PRICE_MINOR, 0)
    shown = api.get(f"/listings/{listing['id']}")
    assert shown.status_code == 200  # a public offer still, in the journal too

    r = api.post(f"/organizations/{supplier.organization_id}/reinstate", headers=ops.headers)
    assert r.status_code == 200, r.text
    assert purchase(api, buyer, listing["id"]).status_code == 201


def _accept_by(api: TestClient, who: Party, order_id: int) -> datetime:
    shown = api.get(f"/orders/{order_id}", headers=who.headers).json()
    return datetime.fromisoformat(shown["accept_by"])


def test_the_settlement_job_pays_a_suspended_supplier_and_releases_a_suspended_buyers_escrow(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, 2 * PRICE_MINOR)
    listing = on_sale(api, supplier, ops)
    first = purchase(api, buyer, listing["id"]).json()
    second = purchase(api, buyer, listing["id"]).json()
    for order in (first, second):
        deliver(engine, order["id"])
    when = max(_accept_by(api, buyer, o["id"]) for o in (first, second))
    _suspend(api, ops, supplier)
    _suspend(api, ops, buyer)

    run = run_once(engine, settings, now=when)

    assert sorted(run.settled) == sorted([first["id"], second["id"]])
    assert run.failed == {}
    assert balance(engine, supplier.organization_id) == (2 * (PRICE_MINOR - FEE), 0)
    assert balance(engine, buyer.organization_id) == (0, 0)
    assert reconciled(engine)
