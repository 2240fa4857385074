"""Helpers for the valuation tests: a valuer organisation and a listed, evaluated asset."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import Party, party, verify

INCOME: dict[str, Any] = {
    "annual_income_minor": 1_000_000,
    "income_share": "0.2",
    "discount_rate": "0.1",
    "horizon_years": 3,
}
COST: dict[str, Any] = {
    "components_minor": {"collection": 20_000_000, "labour": 10_000_000},
    "profit_rate": "0.1",
}
MARKET: dict[str, Any] = {
    "quality_score": 90,
    "timeliness_score": 100,
    "volume_rows": 40_000,
    "rights": ["processing_use", "operation"],
    "comparables": [
        {
            "price_minor": 1_000_000,
            "quality_score": 90,
            "timeliness_score": 100,
            "volume_rows": 10_000,
            "rights": ["processing_use", "operation"],
        },
        {
            "price_minor": 1_500_000,
            "quality_score": 75,
            "timeliness_score": 80,
            "volume_rows": 40_000,
            "rights": ["holding", "processing_use", "operation"],
        },
        {
            "price_minor": 2_000_000,
            "quality_score": 90,
            "timeliness_score": 100,
            "volume_rows": 160_000,
            "rights": ["processing_use", "operation"],
            "source": "exchange",  # a request cannot pass its figures off as the exchange's
        },
    ],
}


def grant(api: TestClient, ops: Party, who: Party, role: str, *, verified: bool = True) -> None:
    """Grants ``role``; a valuer certifies only once its organisation is verified."""
    r = api.post(
        f"/organizations/{who.organization_id}/roles", json={"role": role}, headers=ops.headers
    )
    assert r.status_code == 200, r.text
    if verified:
        verify(api, ops, who)


def valuer(api: TestClient, ops: Party, *, verified: bool = True) -> Party:
    who = party(api, "vera@appraisal.test", "Vera Appraisal", [])
    grant(api, ops, who, "valuer", verified=verified)
    return who
