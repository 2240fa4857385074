"""Helpers for the delivery tests: a bought order and the licence its payment granted (the
buyer deposits, then buys: ``POST /orders/purchase``), a licence granted straight from the
service at a chosen time (for expiry), and downloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace.delivery import service
from marketplace.delivery.models import Licence
from marketplace.orders.schemas import OrderPublic
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.books.helpers import deposit
from tests.marketplace.orders.helpers import keyed, on_sale


def bought(api: TestClient, buyer: Party, listing: dict[str, Any]) -> dict[str, Any]:
    """The buyer deposits the (fixed) listing's price and buys it (order + escrow): a paid
    order."""
    assert listing["price_model"]["kind"] == "fixed", listing["price_model"]
    price = int(listing["price_model"]["amount_minor"])
    funded = deposit(api, buyer, price)
    assert funded.status_code == 201, funded.text
    r = api.post(
        "/orders/purchase", json={"listing_id": listing["id"], "purpose": "research"},
        headers=keyed(buyer.headers),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    assert order["status"] == "paid", order
    return order


def licence_of(runtime: Runtime, order_id: int) -> int:
    """The id of the licence the order's payment granted."""
    with Session(runtime.engine) as session:
        found = service.licence_for_order(session, order_id)
    assert found is not None, f"order {order_id} has no licence"
    return found.id


def expiring(runtime: Runtime, licence_id: int, at: datetime) -> None:
    """Time passes: the licence now expires ``at`` (its row is moved, as a clock would)."""
    with Session(runtime.engine) as session:
        row = session.get(Licence, licence_id)
        assert row is not None
        row.expires_at = at
        session.add(row)
        session.commit()


def grant(runtime: Runtime, order: dict[str, Any], now: datetime | None = None) -> int:
    with Session(runtime.engine) as session:
        view = service.grant_licence(session, OrderPublic.model_validate(order), now=now)
        session.commit()
    return view.id


def licensed(
    api: TestClient, runtime: Runtime, supplier: Party, ops: Party, buyer: Party, **overrides: Any
) -> tuple[dict[str, Any], int]:
    """A listing on sale (``overrides`` as for ``on_sale``), the buyer's paid order and the id
    of the licence its payment granted."""
    listing = on_sale(api, supplier, ops, **overrides)
    order = bought(api, buyer, listing)
    return order, licence_of(runtime, order["id"])


def url_for(api: TestClient, who: Party, licence_id: int) -> Any:
    return api.post(f"/licences/{licence_id}/download-url", headers=who.headers)


def issued(api: TestClient, who: Party, licence_id: int) -> dict[str, Any]:
    r = url_for(api, who, licence_id)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body
