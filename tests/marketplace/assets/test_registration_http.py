"""Registration, upload, review, listing and access control over HTTP."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.marketplace.assets.helpers import (
    CSV,
    Party,
    create,
    metadata,
    party,
    registered_listed,
    review,
    upload,
)
from tests.marketplace.identity.helpers import row_counts


def test_a_verified_supplier_registers_a_draft(api: TestClient, supplier: Party) -> None:
    asset = create(api, supplier)
    assert asset["status"] == "draft"
    assert asset["owner_organization_id"] == supplier.organization_id
    assert asset["publisher"] == "Alice Data"
    assert asset["latest_revision"] == 0


def test_an_unverified_organisation_cannot_register(api: TestClient, engine: Engine) -> None:
    who = party(api, "eve@new.test", "New Org", ["supplier"])
    before = row_counts(engine)
    r = api.post("/assets", json=metadata(), headers=who.headers)
    assert r.status_code == 403
    assert r.json()["error"] == "not_verified"
    assert row_counts(engine)["asset"] == before["asset"]


def test_upload_stores_ciphertext_and_the_owner_downloads_identical_bytes(
    api: TestClient, supplier: Party, blob_dir: Path
) -> None:
    asset_id = create(api, supplier)["id"]
    r = upload(api, supplier, asset_id, CSV)
    assert r.status_code == 201, r.text
    revision = r.json()
    assert revision["number"] == 1
    assert revision["sha256"] == hashlib.sha256(CSV).hexdigest()
    assert revision["size_bytes"] == len(CSV)
    assert revision["table_schema"]["fields"] == [
        {"name": "id", "type": "integer"},
        {"name": "name", "type": "string"},
        {"name": "price", "type": "number"},
    ]
    (stored,) = [p for p in blob_dir.rglob("*") if p.is_file()]
    assert b"apple" not in stored.read_bytes()
    got = api.get(f"/assets/{asset_id}/revisions/1/content", headers=supplier.headers)
    assert got.status_code == 200
    assert got.content == CSV
    assert got.headers["x-content-sha256"] == revision["sha256"]


def test_a_second_upload_is_a_new_revision_with_its_own_hash(
    api: TestClient, supplier: Party
) -> None:
    asset_id = create(api, supplier)["id"]
    first = upload(api, supplier, asset_id, CSV).json()
    second = upload(api, supplier, asset_id, CSV + b"3,plum,4\n").json()
    assert (first["number"], second["number"]) == (1, 2)
    assert first["sha256"] != second["sha256"]
    assert (
        api.get(f"/assets/{asset_id}/revisions/1/content", headers=supplier.headers).content == CSV
    )


def test_the_supplier_corrects_the_inferred_schema(api: TestClient, supplier: Party) -> None:
    asset_id = create(api, supplier)["id"]
    upload(api, supplier, asset_id, CSV)
    schema = {
        "fields": [
            {"name": "id", "type": "string", "description": "stall code"},
            {"name": "name", "type": "string"},
            {"name": "price", "type": "number"},
        ]
    }
    r = api.put(
        f"/assets/{asset_id}/revisions/1/schema",
        json={"table_schema": schema},
        headers=supplier.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["schema_corrected"] is True
    assert r.json()["table_schema"]["fields"][0]["type"] == "string"
    bad = api.put(
        f"/assets/{asset_id}/revisions/1/schema",
        json={"table_schema": {"fields": [{"name": "id", "type": "int"}]}},
        headers=supplier.headers,
    )
    assert bad.status_code == 422


def test_a_new_revision_of_a_listed_asset_is_corrected_but_the_registered_one_is_fixed(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    assert upload(api, supplier, asset_id, CSV).status_code == 201
    schema = {
        "fields": [
            {"name": "id", "type": "integer"},
            {"name": "name", "type": "string"},
            {"name": "price", "type": "number", "constraints": {"minimum": 0}},
        ]
    }

    new = api.put(
        f"/assets/{asset_id}/revisions/2/schema",
        json={"table_schema": schema},
        headers=supplier.headers,
    )
    registered = api.put(
        f"/assets/{asset_id}/revisions/1/schema",
        json={"table_schema": schema},
        headers=supplier.headers,
    )

    assert new.status_code == 200, new.text
    assert new.json()["table_schema"]["fields"][2]["constraints"] == {"minimum": 0}
    assert (registered.status_code, registered.json()["error"]) == (409, "asset_state")
    assert "revision 1 is registered" in registered.json()["message"]
    assert api.get(f"/assets/{asset_id}").json()["status"] == "listed"


def test_rejection_reasons_reach_the_supplier_who_fixes_and_resubmits(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id = create(api, supplier)["id"]
    upload(api, supplier, asset_id, CSV)
    assert (
        api.post(f"/assets/{asset_id}/submit", json={}, headers=supplier.headers).json()["status"]
        == "under_review"
    )
    r = review(api, ops, asset_id, "rejected", reasons="upload the supply contract as proof")
    assert r.status_code == 201, r.text
    assert api.get(f"/assets/{asset_id}", headers=supplier.headers).json()["status"] == "rejected"
    reviews = api.get(f"/assets/{asset_id}/reviews", headers=supplier.headers).json()
    assert reviews[0]["reasons"] == "upload the supply contract as proof"
    assert reviews[0]["checklist"]["authority"]["passed"] is False
    r = api.patch(
        f"/assets/{asset_id}",
        json={"authority_proof": "supply contract sha256 ab12..."},
        headers=supplier.headers,
    )
    assert r.status_code == 200, r.text
    assert (
        api.post(f"/assets/{asset_id}/submit", json={}, headers=supplier.headers).status_code == 200
    )
    assert review(api, ops, asset_id, "approved").status_code == 201
    assert api.get(f"/assets/{asset_id}", headers=supplier.headers).json()["status"] == "approved"


def test_only_listed_assets_appear_in_the_public_catalog(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    listed = registered_listed(api, supplier, ops)
    draft = create(api, supplier, title="Secret draft")["id"]
    public = api.get("/assets").json()
    assert [a["id"] for a in public["items"]] == [listed]
    assert public["total"] == 1
    own = api.get("/assets", headers=supplier.headers).json()
    assert {a["id"] for a in own["items"]} == {listed, draft}
    assert api.get(f"/assets/{draft}").status_code == 404


def test_search_filters_by_keyword_theme_status_and_owner(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    fruit = registered_listed(api, supplier, ops)
    cars = registered_listed(api, rival, ops, title="Car registrations", theme="transport",
                             keywords=["cars"], description="monthly")  # fmt: skip
    assert [a["id"] for a in api.get("/assets", params={"q": "水果"}).json()["items"]] == [fruit]
    assert [a["id"] for a in api.get("/assets", params={"q": "CAR"}).json()["items"]] == [cars]
    assert [a["id"] for a in api.get("/assets", params={"theme": "transport"}).json()["items"]] == [
        cars
    ]
    by_owner = api.get("/assets", params={"owner": supplier.organization_id}).json()["items"]
    assert [a["id"] for a in by_owner] == [fruit]
    assert api.get("/assets", params={"status": "draft"}).json()["total"] == 0
    page = api.get("/assets", params={"limit": 1}).json()
    assert (len(page["items"]), page["total"]) == (1, 2)


def test_another_supplier_cannot_read_change_or_revise_a_draft(
    api: TestClient, supplier: Party, rival: Party, blob_dir: Path
) -> None:
    asset_id = create(api, supplier)["id"]
    upload(api, supplier, asset_id, CSV)
    files_before = sorted(blob_dir.rglob("*"))
    assert api.get(f"/assets/{asset_id}", headers=rival.headers).status_code == 404
    assert api.get(f"/assets/{asset_id}/dcat", headers=rival.headers).status_code == 404
    assert (
        api.patch(f"/assets/{asset_id}", json={"title": "mine"}, headers=rival.headers).status_code
        == 404
    )
    assert upload(api, rival, asset_id, CSV).status_code == 404
    assert (
        api.get(f"/assets/{asset_id}/revisions/1/content", headers=rival.headers).status_code == 404
    )
    assert sorted(blob_dir.rglob("*")) == files_before


def test_another_supplier_cannot_change_or_download_a_listed_asset(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    assert api.get(f"/assets/{asset_id}", headers=rival.headers).status_code == 200
    r = api.patch(f"/assets/{asset_id}", json={"title": "mine"}, headers=rival.headers)
    assert r.status_code == 403
    assert upload(api, rival, asset_id, CSV).status_code == 403
    assert (
        api.get(f"/assets/{asset_id}/revisions/1/content", headers=rival.headers).status_code == 403
    )


def test_core_data_is_registered_but_never_listed(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id = create(api, supplier, classification="core")["id"]
    upload(api, supplier, asset_id, CSV)
    api.post(f"/assets/{asset_id}/submit", json={}, headers=supplier.headers)
    assert review(api, ops, asset_id, "approved").status_code == 201
    r = api.post(f"/assets/{asset_id}/list", headers=supplier.headers)
    assert r.status_code == 409
    assert r.json()["error"] == "not_listable"


def test_important_data_is_listed_with_its_restrictions(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id = registered_listed(api, supplier, ops, classification="important")
    listed = api.get(f"/assets/{asset_id}").json()
    assert listed["listing_restrictions"] == [
        "key_wrapped_delivery",
        "verified_buyers_only",
        "operator_approval_per_order",
    ]


def test_dcat_json_ld_describes_the_asset(api: TestClient, supplier: Party, ops: Party) -> None:
    asset_id = registered_listed(api, supplier, ops)
    doc = api.get(f"/assets/{asset_id}/dcat").json()
    assert doc["@type"] == "dcat:Dataset"
    assert doc["dct:title"] == "Fruit prices"
    assert doc["dct:license"] == {"@id": "https://creativecommons.org/licenses/by/4.0/"}
    assert doc["dct:accrualPeriodicity"] == {"@id": "http://purl.org/cld/freq/daily"}
    assert doc["dct:temporal"]["dcat:startDate"]["@value"] == "2024-01-01"
    (dist,) = doc["dcat:distribution"]
    assert dist["spdx:checksum"]["spdx:checksumValue"] == hashlib.sha256(CSV).hexdigest()
    assert doc["dbx:classification"] == "general"


def test_transfer_and_cancellation_are_registrations(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    r = api.post(
        f"/assets/{asset_id}/transfer",
        json={"to_organization_id": rival.organization_id},
        headers=supplier.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["owner_organization_id"] == rival.organization_id
    cert = api.get(f"/assets/{asset_id}/certificate", headers=rival.headers).json()
    assert cert["certificate"]["registration_type"] == "transfer"
    assert cert["certificate"]["owner"] == rival.address
    assert cert["certificate"]["supplier"]["address"] == supplier.address
    r = api.post(f"/assets/{asset_id}/cancel", json={"reason": "retired"}, headers=rival.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    kinds = [
        x["registration_type"]
        for x in api.get(f"/assets/{asset_id}/registrations", headers=rival.headers).json()
    ]
    assert kinds == ["initial", "transfer", "cancellation"]


def test_a_parquet_upload_gets_its_schema_from_the_footer(api: TestClient, supplier: Party) -> None:
    import io

    import polars as pl

    out = io.BytesIO()
    pl.DataFrame({"id": [1, 2], "fruit": ["apple", "pear"], "kg": [1.5, 2.0]}).write_parquet(out)
    asset_id = create(api, supplier)["id"]
    r = upload(api, supplier, asset_id, out.getvalue(), fmt="parquet")
    assert r.status_code == 201, r.text
    assert r.json()["table_schema"]["fields"] == [
        {"name": "id", "type": "integer"},
        {"name": "fruit", "type": "string"},
        {"name": "kg", "type": "number"},
    ]
    got = api.get(f"/assets/{asset_id}/revisions/1/content", headers=supplier.headers)
    assert got.content == out.getvalue()
