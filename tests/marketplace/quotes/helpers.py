"""Helpers for the quote tests: a supplier's listing, a buyer's demand, a quote on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import Party
from tests.marketplace.listings.helpers import approved, create_listing, terms

PRICE = 98_000


def listing(api: TestClient, who: Party, ops: Party, **overrides: Any) -> dict[str, Any]:
    """An active listing of a freshly approved asset of ``who``'s."""
    return create_listing(api, who, approved(api, who, ops), **overrides)


def demand(api: TestClient, who: Party, **overrides: Any) -> int:
    body: dict[str, Any] = {
        "title": "Fruit prices by city",
        "description": "Daily wholesale fruit prices",
        "keywords": ["fruit", "prices"],
        "fields": [{"name": "price", "type": "number"}],
        "purpose": "research",
        "budget_min_minor": 10_000,
        "budget_max_minor": 200_000,
        "deadline": (datetime.now(UTC) + timedelta(days=10)).isoformat(),
        **overrides,
    }
    r = api.post("/demands", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def quote_body(listing_id: int, **overrides: Any) -> dict[str, Any]:
    return {"listing_id": listing_id, "price_minor": PRICE, "valid_until": in_days(7), **overrides}


def post_quote(
    api: TestClient, who: Party, demand_id: int, listing_id: int, **overrides: Any
) -> Any:
    return api.post(
        f"/demands/{demand_id}/quotes",
        json=quote_body(listing_id, **overrides),
        headers=who.headers,
    )


def send_quote(
    api: TestClient, who: Party, demand_id: int, listing_id: int, **overrides: Any
) -> dict[str, Any]:
    r = post_quote(api, who, demand_id, listing_id, **overrides)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def entries(api: TestClient, who: Party, subject: str) -> list[dict[str, Any]]:
    r = api.get("/ledger/entries", params={"subject": subject}, headers=who.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def inbox_kinds(api: TestClient, who: Party) -> list[str]:
    r = api.get("/inbox", headers=who.headers)
    assert r.status_code == 200, r.text
    return [n["kind"] for n in r.json()["items"]]


__all__ = ["terms"]
