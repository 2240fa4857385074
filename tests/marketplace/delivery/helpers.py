"""Helpers for the delivery tests: a licence granted from a placed order (the pay step grants
it in the running exchange; here the service is called as that step calls it), and downloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace.delivery import service
from marketplace.orders.schemas import OrderPublic
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import on_sale, place


def grant(runtime: Runtime, order: dict[str, Any], now: datetime | None = None) -> int:
    with Session(runtime.engine) as session:
        view = service.grant_licence(session, OrderPublic.model_validate(order), now=now)
        session.commit()
    return view.id


def licensed(
    api: TestClient, runtime: Runtime, supplier: Party, ops: Party, buyer: Party, **overrides: Any
) -> tuple[dict[str, Any], int]:
    """A listing on sale (``overrides`` as for ``on_sale``), the buyer's order, its licence id."""
    listing = on_sale(api, supplier, ops, **overrides)
    order = place(api, buyer, listing["id"])
    return order, grant(runtime, order)


def url_for(api: TestClient, who: Party, licence_id: int) -> Any:
    return api.post(f"/licences/{licence_id}/download-url", headers=who.headers)


def issued(api: TestClient, who: Party, licence_id: int) -> dict[str, Any]:
    r = url_for(api, who, licence_id)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body
