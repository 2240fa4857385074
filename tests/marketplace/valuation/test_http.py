"""Valuations over HTTP, on both databases."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from ledger.models import JournalEntry
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
