"""Helpers for the order tests: a listing on sale, and placing an order for it."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import Party
from tests.marketplace.listings.helpers import approved, create_listing, terms

PRICE_MINOR = 125_000  # the listings helpers' fixed price
PUBLIC_DATA: dict[str, Any] = {
    "kind": "public_data",
    "cost_minor": 100_000,
    "margin_bp": 1_000,  # ceiling 110,000
    "price_minor": 105_000,
}


def on_sale(api: TestClient, supplier: Party, ops: Party, **overrides: Any) -> dict[str, Any]:
    """An active listing of a newly approved asset: the listings helpers' research licence at a
    fixed price unless ``overrides`` (``terms`` as a dict of changes, ``price_model``) say
    otherwise."""
    asset_id = approved(api, supplier, ops)
    changes = dict(overrides)
    if "terms" in changes:
        changes["terms"] = terms(**changes["terms"])
    return create_listing(api, supplier, asset_id, **changes)


def keyed(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` and a new ``Idempotency-Key``, as a money-moving request carries."""
    return {**headers, "Idempotency-Key": uuid.uuid4().hex}


def post_order(api: TestClient, who: Party, listing_id: int, **body: Any) -> Any:
    return api.post(
        "/orders", json={"listing_id": listing_id, "purpose": "research", **body},
        headers=keyed(who.headers),
    )  # fmt: skip


def place(api: TestClient, who: Party, listing_id: int, **body: Any) -> dict[str, Any]:
    r = post_order(api, who, listing_id, **body)
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    return order


def entries(api: TestClient, subject: str) -> list[dict[str, Any]]:
    r = api.get("/ledger/entries", params={"subject": subject})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def order_kinds(api: TestClient) -> list[str]:
    """The kinds of every order.* journal entry, oldest first."""
    r = api.get("/ledger/entries", params={"limit": 500})
    assert r.status_code == 200, r.text
    return [e["kind"] for e in r.json()["items"] if e["kind"].startswith("order.")]
