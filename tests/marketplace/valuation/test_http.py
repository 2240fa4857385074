"""Valuations over HTTP, on both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from ledger.models import JournalEntry
from marketplace import limits
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import CSV, Party, create, upload

INCOME: dict[str, Any] = {
    "annual_income_minor": 1_000_000,
    "income_share": "0.2",
    "discount_rate": "0.1",
    "horizon_years": 3,
}


def with_content(api: TestClient, who: Party) -> int:
    asset_id = int(create(api, who)["id"])
    assert upload(api, who, asset_id, CSV).status_code == 201
    return asset_id


def test_an_indicative_valuation_is_issued_and_anchored(
    api: TestClient, supplier: Party, asset_runtime: Runtime
) -> None:
    asset_id = with_content(api, supplier)

    r = api.post(
        f"/assets/{asset_id}/valuations",
        json={"inputs": {"income": INCOME}},
        headers=supplier.headers,
    )

    assert r.status_code == 201, r.text
    body = r.json()
    assert body["value_minor"] == 497_370
    assert body["kind"] == "indicative"
    assert (body["report"]["currency"], body["report"]["currency_scale"]) == ("CNY", 2)
    with Session(asset_runtime.engine) as session:
        entry = session.exec(
            select(JournalEntry).where(JournalEntry.kind == "valuation.issued")
        ).one()
    assert entry.seq == body["journal_seq"]
    assert json.loads(entry.payload_json)["report_hash"] == body["report_hash"]
    listed = api.get(f"/assets/{asset_id}/valuations", headers=supplier.headers).json()
    assert [v["id"] for v in listed] == [body["id"]]


def test_market_approach_without_comparables_says_so_over_http(
    api: TestClient, supplier: Party
) -> None:
    asset_id = with_content(api, supplier)
    market = {
        "quality_score": 90,
        "timeliness_score": 100,
        "volume_rows": 1000,
        "rights": ["operation"],
    }

    r = api.post(
        f"/assets/{asset_id}/valuations",
        json={"inputs": {"market": market}},
        headers=supplier.headers,
    )

    assert r.status_code == 201, r.text
    report = r.json()["report"]
    assert r.json()["value_minor"] is None
    assert report["approaches"][0]["note"] == "insufficient comparables: 0 of at least 3"


def test_meaningless_inputs_get_422_naming_the_field_and_write_nothing(
    api: TestClient, supplier: Party, asset_runtime: Runtime
) -> None:
    asset_id = with_content(api, supplier)
    cases = [
        ({"cost": {"components_minor": {"labour": -5}, "profit_rate": "0.1"}}, "labour"),
        ({"income": INCOME | {"discount_rate": "-1"}}, "income.discount_rate"),
        ({"income": INCOME | {"horizon_years": 0}}, "income.horizon_years"),
    ]
    for inputs, field in cases:
        r = api.post(
            f"/assets/{asset_id}/valuations", json={"inputs": inputs}, headers=supplier.headers
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "invalid_request"
        assert field in r.json()["message"]
    with Session(asset_runtime.engine) as session:
        kinds = session.exec(select(JournalEntry.kind)).all()
    assert "valuation.issued" not in kinds


GROWING = INCOME | {"annual_income_minor": 1000, "income_share": "1", "growth_rate": "10"}
MARKET: dict[str, Any] = {
    "quality_score": 90,
    "timeliness_score": 100,
    "volume_rows": 1000,
    "rights": ["operation"],
}
COMPARABLE: dict[str, Any] = MARKET | {"price_minor": 1_000_000}


def refused_writing_nothing(api: TestClient, who: Party, asset_id: int, inputs: Any) -> Any:
    """POST the inputs; assert a 422 invalid_request and that the asset's valuations are as
    before. Returns the error body."""
    path = f"/assets/{asset_id}/valuations"
    before = api.get(path, headers=who.headers).json()
    r = api.post(path, json={"inputs": inputs}, headers=who.headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request"
    assert api.get(path, headers=who.headers).json() == before
    return r.json()


@pytest.mark.parametrize(
    "income",
    [
        GROWING | {"horizon_years": 20},  # about 1.0e22 minor units
        GROWING | {"horizon_years": 17},  # about 1.0e19: beyond the 64-bit column
        GROWING | {"horizon_years": 14},  # about 1.0e16: beyond 2**53, the report's hash
        GROWING | {"discount_rate": "-0.999999999999999999999999", "horizon_years": 50},
    ],
    ids=["1e22", "1e19", "1e16", "decimal-overflow"],
)
def test_a_value_beyond_the_largest_amount_is_422_naming_the_inputs_and_writes_nothing(
    api: TestClient, supplier: Party, asset_runtime: Runtime, income: dict[str, Any]
) -> None:
    asset_id = with_content(api, supplier)

    body = refused_writing_nothing(api, supplier, asset_id, {"income": income})

    assert "inputs.income" in body["message"]
    assert str(limits.valuation_amount_minor_max) in body["message"]
    with Session(asset_runtime.engine) as session:
        assert "valuation.issued" not in session.exec(select(JournalEntry.kind)).all()


def test_a_value_at_the_largest_amount_or_below_is_issued(api: TestClient, supplier: Party) -> None:
    asset_id = with_content(api, supplier)

    r = api.post(
        f"/assets/{asset_id}/valuations",
        json={"inputs": {"income": GROWING | {"horizon_years": 13}}},
        headers=supplier.headers,
    )

    assert r.status_code == 201, r.text
    assert r.json()["value_minor"] == 1_010_101_010_100_909 <= limits.valuation_amount_minor_max


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({"income": INCOME | {"horizon_years": "3"}}, "income.horizon_years"),
        ({"income": INCOME | {"horizon_years": True}}, "income.horizon_years"),
        ({"income": INCOME | {"horizon_years": 3.0}}, "income.horizon_years"),
        ({"income": INCOME | {"annual_income_minor": "1000000"}}, "income.annual_income_minor"),
        ({"income": INCOME | {"annual_income_minor": True}}, "income.annual_income_minor"),
        (
            {"cost": {"components_minor": {"labour": "5"}, "profit_rate": "0.1"}},
            "cost.components_minor.labour",
        ),
        ({"income": INCOME, "weights": {"income": True}}, "weights.income"),
        ({"income": INCOME, "weights": {"income": "40"}}, "weights.income"),
        (
            {"income": INCOME, "weights": {"income": limits.valuation_weight_max + 1}},
            "weights.income",
        ),
        ({"market": MARKET | {"volume_rows": "1000"}}, "market.volume_rows"),
        (
            {"market": MARKET | {"comparables": [COMPARABLE | {"price_minor": "1000000"}]}},
            "market.comparables.0.price_minor",
        ),
        (
            {"market": MARKET | {"comparables": [COMPARABLE | {"volume_rows": True}]}},
            "market.comparables.0.volume_rows",
        ),
    ],
)
def test_an_integer_of_another_type_is_422_naming_the_field_and_writes_nothing(
    api: TestClient, supplier: Party, inputs: dict[str, Any], field: str
) -> None:
    asset_id = with_content(api, supplier)

    body = refused_writing_nothing(api, supplier, asset_id, inputs)

    assert field in body["message"]


def test_another_supplier_cannot_value_a_draft(
    api: TestClient, supplier: Party, rival: Party
) -> None:
    asset_id = with_content(api, supplier)

    r = api.post(
        f"/assets/{asset_id}/valuations",
        json={"inputs": {"income": INCOME}},
        headers=rival.headers,
    )

    assert r.status_code == 404
