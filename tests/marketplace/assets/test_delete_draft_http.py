"""DELETE /assets/{id}: a never-submitted draft is deleted by its owner, journaled, with its
stored blobs; anything with history is a 409 naming its state; other organisations see 404/403."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.marketplace.assets.helpers import (
    CSV,
    Party,
    blob_files,
    create,
    registered_listed,
    upload,
)
from tests.marketplace.identity.helpers import row_counts


def test_the_owner_deletes_a_draft_with_its_revisions_blobs_and_reports(
    api: TestClient, supplier: Party, blob_dir: Path
) -> None:
    asset_id = create(api, supplier)["id"]
    assert upload(api, supplier, asset_id, CSV).status_code == 201
    assert upload(api, supplier, asset_id, CSV).status_code == 201
    assert len(blob_files(blob_dir)) == 2
    r = api.delete(f"/assets/{asset_id}", headers=supplier.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["asset_id"] == asset_id
    assert body["revisions_deleted"] == 2
    assert blob_files(blob_dir) == []
    assert api.get(f"/assets/{asset_id}", headers=supplier.headers).status_code == 404
    assert api.get(f"/assets/{asset_id}/quality", headers=supplier.headers).status_code == 404
    entry = api.get(
        "/ledger/entries", params={"subject": f"asset:{asset_id}"}, headers=supplier.headers
    ).json()["items"][-1]
    assert entry["seq"] == body["journal_seq"]
    assert entry["kind"] == "asset.deleted"
    assert entry["payload"]["revisions_deleted"] == 2
    again = api.delete(f"/assets/{asset_id}", headers=supplier.headers)
    assert again.status_code == 404


def test_an_empty_draft_is_deleted(api: TestClient, supplier: Party, engine: Engine) -> None:
    before = row_counts(engine)["asset"]
    asset_id = create(api, supplier)["id"]
    r = api.delete(f"/assets/{asset_id}", headers=supplier.headers)
    assert r.status_code == 200, r.text
    assert r.json()["revisions_deleted"] == 0
    assert row_counts(engine)["asset"] == before


def test_another_organisation_cannot_delete_a_draft(
    api: TestClient, supplier: Party, rival: Party, engine: Engine
) -> None:
    asset_id = create(api, supplier)["id"]
    before = row_counts(engine)
    r = api.delete(f"/assets/{asset_id}", headers=rival.headers)
    assert r.status_code == 404
    assert r.json()["error"] == "asset_not_found"
    assert api.delete(f"/assets/{asset_id}").status_code == 401
    assert row_counts(engine) == before


def test_a_listed_asset_is_not_deleted_by_anyone(
    api: TestClient, supplier: Party, rival: Party, ops: Party, engine: Engine
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    before = row_counts(engine)
    assert api.delete(f"/assets/{asset_id}", headers=rival.headers).status_code == 403
    r = api.delete(f"/assets/{asset_id}", headers=supplier.headers)
    assert r.status_code == 409
    assert r.json()["error"] == "asset_state"
    assert "listed" in r.json()["message"]
    assert row_counts(engine) == before


def test_a_submitted_asset_and_a_draft_again_after_registration_are_kept(
    api: TestClient, supplier: Party, ops: Party, engine: Engine
) -> None:
    submitted = create(api, supplier)["id"]
    assert upload(api, supplier, submitted, CSV).status_code == 201
    assert api.post(f"/assets/{submitted}/submit", json={}, headers=supplier.headers).is_success
    r = api.delete(f"/assets/{submitted}", headers=supplier.headers)
    assert r.status_code == 409
    assert "under_review" in r.json()["message"]
    registered = registered_listed(api, supplier, ops)
    changed = api.patch(
        f"/assets/{registered}", json={"title": "Fruit prices, v2"}, headers=supplier.headers
    )
    assert changed.json()["status"] == "draft"
    before = row_counts(engine)
    r = api.delete(f"/assets/{registered}", headers=supplier.headers)
    assert r.status_code == 409
    assert "cancel" in r.json()["message"]
    assert row_counts(engine) == before


def test_a_draft_with_a_valuation_report_is_kept(
    api: TestClient, supplier: Party, engine: Engine, blob_dir: Path
) -> None:
    asset_id = create(api, supplier)["id"]
    assert upload(api, supplier, asset_id, CSV).status_code == 201
    income = {
        "annual_income_minor": 1_000_000,
        "income_share": "0.2",
        "discount_rate": "0.1",
        "horizon_years": 3,
    }
    valued = api.post(
        f"/assets/{asset_id}/valuations",
        json={"inputs": {"income": income}},
        headers=supplier.headers,
    )
    assert valued.status_code == 201, valued.text
    before = row_counts(engine)
    r = api.delete(f"/assets/{asset_id}", headers=supplier.headers)
    assert r.status_code == 409
    assert "valuation" in r.json()["message"]
    assert row_counts(engine) == before
    assert len(blob_files(blob_dir)) == 1


def _entries(api: TestClient, who: Party, subject: str) -> list[dict[str, Any]]:
    r = api.get("/ledger/entries", params={"subject": subject}, headers=who.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_a_deleted_drafts_id_is_never_given_to_another_asset(
    api: TestClient, supplier: Party
) -> None:
    """The journal's ``asset:<id>`` names one asset forever: SQLite must not hand the id of the
    newest asset, once deleted, to the next one (PostgreSQL's sequences never do)."""
    kept = create(api, supplier)["id"]
    deleted = create(api, supplier, title="To be deleted")["id"]
    assert upload(api, supplier, deleted, CSV).status_code == 201
    evaluation = api.get(f"/assets/{deleted}/revisions/1/quality", headers=supplier.headers)
    assert evaluation.status_code == 200, evaluation.text
    assert evaluation.json()["status"] == "done"
    evaluation_id = evaluation.json()["id"]
    assert api.delete(f"/assets/{deleted}", headers=supplier.headers).status_code == 200
    history = _entries(api, supplier, f"asset:{deleted}")
    assert history[-1]["kind"] == "asset.deleted"

    fresh = create(api, supplier, title="Another asset")["id"]
    assert upload(api, supplier, fresh, CSV).status_code == 201

    assert fresh not in (kept, deleted)
    assert fresh > deleted
    assert api.get(f"/assets/{deleted}", headers=supplier.headers).status_code == 404
    assert _entries(api, supplier, f"asset:{deleted}") == history
    assert all(e["payload"]["asset_id"] == fresh for e in _entries(api, supplier, f"asset:{fresh}"))
    got = api.get(f"/assets/{fresh}/revisions/1/quality", headers=supplier.headers).json()
    assert got["status"] == "done"
    assert got["id"] != evaluation_id
    assessed = [
        e for e in _entries(api, supplier, f"asset:{fresh}") if e["kind"] == "quality.assessed"
    ]
    assert [e["payload"]["evaluation_id"] for e in assessed] == [got["id"]]
