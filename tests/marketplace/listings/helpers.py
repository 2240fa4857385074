"""Helpers for the listing tests: terms, price models, and an approved asset ready to list."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import CSV, Party, create, review, upload

TERMS: dict[str, Any] = {
    "purposes": ["research", "internal_analytics"],
    "licence_duration_days": 365,
    "territory": ["CN"],
    "redistribution": False,
    "derivatives": True,
    "max_downloads": 5,
    "exclusive": False,
    "delivery_mode": "download",
    "acceptance_window_h": 72,
    "dispute_window_h": 168,
}
FIXED: dict[str, Any] = {"kind": "fixed", "amount_minor": 125_000}


def terms(**overrides: Any) -> dict[str, Any]:
    return {**TERMS, **overrides}


def approved(api: TestClient, who: Party, ops: Party, **overrides: Any) -> int:
    """An asset with one registered revision, approved but not listed yet."""
    asset_id = int(create(api, who, **overrides)["id"])
    r = upload(api, who, asset_id, CSV)
    assert r.status_code == 201, r.text
    r = api.post(f"/assets/{asset_id}/submit", json={}, headers=who.headers)
    assert r.status_code == 200, r.text
    r = review(api, ops, asset_id, "approved")
    assert r.status_code == 201, r.text
    return asset_id


def offer(asset_id: int, **overrides: Any) -> dict[str, Any]:
    return {"asset_id": asset_id, "terms": TERMS, "price_model": FIXED, **overrides}


def post_listing(api: TestClient, who: Party, asset_id: int, **overrides: Any) -> Any:
    return api.post("/listings", json=offer(asset_id, **overrides), headers=who.headers)


def create_listing(api: TestClient, who: Party, asset_id: int, **overrides: Any) -> dict[str, Any]:
    r = post_listing(api, who, asset_id, **overrides)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body
