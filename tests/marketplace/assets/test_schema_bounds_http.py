"""A Table Schema is bounded in depth and size at every way in, and one stored before the bounds
cannot break the public pages that show it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from marketplace import limits
from marketplace.assets.models import AssetRevision
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import CSV, Party, create, registered_listed, upload


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def schema_with(constraints: dict[str, Any]) -> dict[str, Any]:
    return {
        "fields": [
            {"name": "id", "type": "integer", "constraints": constraints},
            {"name": "name", "type": "string"},
            {"name": "price", "type": "number"},
        ]
    }


def draft_with_content(api: TestClient, who: Party) -> int:
    asset_id = int(create(api, who)["id"])
    assert upload(api, who, asset_id, CSV).status_code == 201
    return asset_id


@pytest.mark.parametrize(
    ("depth", "refusal"),
    [
        # The case: refused by the JSON nesting limit before anything parses it.
        (250, (400, "json_too_deep", "more than 32 deep")),
        # Within the JSON limit, past the Table Schema bound.
        (20, (422, "invalid_request", "more than 16 levels deep")),
    ],
)
def test_a_schema_nested_too_deep_is_refused_and_the_dcat_stays_up(
    api: TestClient, supplier: Party, depth: int, refusal: tuple[int, str, str]
) -> None:
    status, error, says = refusal
    asset_id = draft_with_content(api, supplier)
    before = api.get(f"/assets/{asset_id}/revisions/1", headers=supplier.headers).json()

    r = api.put(
        f"/assets/{asset_id}/revisions/1/schema",
        json={"table_schema": schema_with(nested(depth))},
        headers=supplier.headers,
    )

    assert r.status_code == status, r.text
    assert r.json()["error"] == error
    assert says in r.json()["message"]
    after = api.get(f"/assets/{asset_id}/revisions/1", headers=supplier.headers).json()
    assert after["table_schema"] == before["table_schema"]
    assert after["schema_corrected"] is False
    assert api.get(f"/assets/{asset_id}/dcat", headers=supplier.headers).status_code == 200


def test_a_schema_within_the_depth_bound_is_accepted(api: TestClient, supplier: Party) -> None:
    asset_id = draft_with_content(api, supplier)
    # schema, fields, field, constraints, then the rest: at the limit exactly.
    deep = schema_with({"jsonSchema": nested(limits.table_schema_depth_max - 4)})
    r = api.put(
        f"/assets/{asset_id}/revisions/1/schema",
        json={"table_schema": deep},
        headers=supplier.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["table_schema"]["fields"][0]["constraints"] == deep["fields"][0]["constraints"]
    one_more = schema_with({"jsonSchema": nested(limits.table_schema_depth_max - 3)})
    r = api.put(
        f"/assets/{asset_id}/revisions/1/schema",
        json={"table_schema": one_more},
        headers=supplier.headers,
    )
    assert r.status_code == 422, r.text


def test_an_evaluation_request_with_a_too_deep_schema_is_refused(
    api: TestClient, supplier: Party
) -> None:
    asset_id = draft_with_content(api, supplier)
    r = api.post(
        f"/assets/{asset_id}/revisions/1/quality",
        json={"table_schema": schema_with(nested(20))},
        headers=supplier.headers,
    )
    assert r.status_code == 422, r.text
    assert "levels deep" in r.json()["message"]


def test_an_inferred_schema_over_the_size_bound_refuses_the_upload(
    api: TestClient, supplier: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "table_schema_bytes_max", 4096)
    asset_id = int(create(api, supplier)["id"])
    header = ",".join(f"{'column_' * 20}{i}" for i in range(40)).encode()

    r = upload(api, supplier, asset_id, header + b"\n" + b",".join([b"1"] * 40) + b"\n")

    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_content"
    assert "at most 4096" in r.json()["message"]
    assert api.get(f"/assets/{asset_id}/revisions", headers=supplier.headers).json() == []


def test_a_schema_stored_before_the_bounds_no_longer_breaks_public_pages(
    api: TestClient, supplier: Party, ops: Party, asset_runtime: Runtime
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    with Session(asset_runtime.engine) as session:
        revision = session.exec(
            select(AssetRevision).where(AssetRevision.asset_id == asset_id)
        ).one()
        revision.table_schema = schema_with(nested(250))
        schema_hash = revision.schema_hash
        session.add(revision)
        session.commit()

    dcat = api.get(f"/assets/{asset_id}/dcat")
    assert dcat.status_code == 200, dcat.text
    conforms = dcat.json()["dcat:distribution"][0]["dct:conformsTo"]
    assert "dbx:tableSchema" not in conforms
    assert conforms["dbx:schemaHash"] == schema_hash
    shown = api.get(f"/assets/{asset_id}/revisions/1")
    assert shown.status_code == 200, shown.text
    assert shown.json()["table_schema"] is None
    assert api.get(f"/assets/{asset_id}/revisions").status_code == 200
    assert api.get(f"/catalog/{asset_id}").status_code == 200


def test_the_dcat_of_a_valid_listed_asset_carries_its_schema(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    r = api.get(f"/assets/{asset_id}/dcat")
    assert r.status_code == 200
    schema = r.json()["dcat:distribution"][0]["dct:conformsTo"]["dbx:tableSchema"]["@value"]
    assert [f["name"] for f in schema["fields"]] == ["id", "name", "price"]
