"""Helpers for the demand tests: a demand body, and listings of assets with given columns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import Party, create, review, upload
from tests.marketplace.listings.helpers import create_listing

AIR_CSV = (
    b"city,pm25,ts\n"
    b"Hangzhou,35,2024-01-01T00:00:00Z\n"
    b"Hangzhou,41,2024-01-01T01:00:00Z\n"
    b"Ningbo,28,2024-01-01T00:00:00Z\n"
)
CITY_CSV = b"city,population\nHangzhou,12000000\nNingbo,9600000\n"
FRUIT_CSV = b"id,name,price\n1,apple,2.5\n2,pear,3\n"


def deadline(days: float = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def demand_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Hourly air quality by city",
        "description": "PM2.5 readings for Zhejiang cities",
        "keywords": ["air quality", "pm25"],
        "fields": [
            {"name": "city", "type": "string"},
            {"name": "pm25", "type": "number"},
            {"name": "ts", "type": "datetime"},
        ],
        "purpose": "research",
        "budget_min_minor": 10_000,
        "budget_max_minor": 500_000,
        "deadline": deadline(),
    }
    body.update(overrides)
    return body


def post_demand(api: TestClient, who: Party, **overrides: Any) -> dict[str, Any]:
    r = api.post("/demands", json=demand_body(**overrides), headers=who.headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def listing_of(
    api: TestClient, who: Party, ops: Party, content: bytes, **metadata: Any
) -> dict[str, Any]:
    """A listing (fixed price 125,000, research and internal analytics) of an approved asset
    whose content is ``content`` (CSV)."""
    asset_id = int(create(api, who, **metadata)["id"])
    r = upload(api, who, asset_id, content)
    assert r.status_code == 201, r.text
    r = api.post(f"/assets/{asset_id}/submit", json={}, headers=who.headers)
    assert r.status_code == 200, r.text
    r = review(api, ops, asset_id, "approved")
    assert r.status_code == 201, r.text
    return create_listing(api, who, asset_id)


def inbox_kinds(api: TestClient, who: Party) -> list[tuple[str, str]]:
    r = api.get("/inbox", headers=who.headers)
    assert r.status_code == 200, r.text
    return [(n["kind"], n["subject"]) for n in r.json()["items"]]


def journal_kinds(api: TestClient, who: Party, demand_id: int) -> list[str]:
    r = api.get("/ledger/entries", params={"subject": f"demand:{demand_id}"}, headers=who.headers)
    assert r.status_code == 200, r.text
    return [e["kind"] for e in r.json()["items"]]
