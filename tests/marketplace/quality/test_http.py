"""Quality evaluation over HTTP, on both databases: background job, progress, report, ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ledger.models import JournalEntry
from marketplace.app import create_app
from marketplace.quality.service import evaluations
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import (
    CSV,
    Party,
    create,
    operator,
    party,
    upload,
    verify,
)
from tests.marketplace.identity.helpers import CHAIN_ID
from tests.marketplace.quality.defects import SCHEMA, write_table


def uploaded(api: TestClient, who: Party, data: bytes, fmt: str = "csv") -> int:
    asset_id = int(create(api, who)["id"])
    r = upload(api, who, asset_id, data, fmt=fmt)
    assert r.status_code == 201, r.text
    return asset_id


def test_an_evaluation_runs_in_the_background_and_is_anchored_in_the_journal(
    api: TestClient, supplier: Party, asset_runtime: Runtime, tmp_path: Path
) -> None:
    data = write_table(tmp_path / "t.csv").read_bytes()
    asset_id = uploaded(api, supplier, data)

    r = api.post(
        f"/assets/{asset_id}/revisions/1/quality",
        json={"table_schema": SCHEMA, "update_frequency": "daily", "timestamp_field": "updated"},
        headers=supplier.headers,
    )
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"

    # The TestClient runs background tasks before returning, so the job is done here.
    got = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers).json()
    assert got["status"] == "done", got
    assert got["progress_percent"] == 100
    report = got["report"]
    assert report["rows"] == 2050
    completeness = next(d for d in report["dimensions"] if d["name"] == "completeness")
    assert completeness["measurements"]["null_cells"] == 60
    access = next(d for d in report["dimensions"] if d["name"] == "accessibility")
    assert access["measurements"]["content_hash_matches"] is True
    assert report["profile"][1]["samples"]  # the owner sees sample values
    with Session(asset_runtime.engine) as session:
        entries = session.exec(
            select(JournalEntry).where(JournalEntry.kind == "quality.assessed")
        ).all()
    assert len(entries) == 2  # the one the upload started by itself, and this one
    (entry,) = [e for e in entries if e.seq == got["journal_seq"]]
    assert entry.subject == f"asset:{asset_id}"
    payload = json.loads(entry.payload_json)
    assert payload["report_hash"] == got["report_hash"]
    assert payload["content_hash"] == report["content_sha256"]
    assert payload["revision"] == 1


def test_another_supplier_cannot_request_or_read_a_drafts_evaluation(
    api: TestClient, supplier: Party, rival: Party, tmp_path: Path
) -> None:
    asset_id = uploaded(api, supplier, write_table(tmp_path / "t.csv").read_bytes())

    r = api.post(f"/assets/{asset_id}/revisions/1/quality", json={}, headers=rival.headers)
    assert r.status_code == 404
    r = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=rival.headers)
    assert r.status_code == 404


def test_a_bad_declaration_is_refused_with_422_and_queues_nothing(
    api: TestClient, supplier: Party, tmp_path: Path
) -> None:
    asset_id = uploaded(api, supplier, write_table(tmp_path / "t.csv").read_bytes())
    automatic = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers).json()

    r = api.post(
        f"/assets/{asset_id}/revisions/1/quality",
        json={"rules": ["drop table asset"]},
        headers=supplier.headers,
    )

    assert r.status_code == 422
    assert r.json()["error"] == "not_evaluable"
    assert "rules[0]" in r.json()["message"]
    r = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers)
    assert r.json()["id"] == automatic["id"]  # still the one the upload started


def test_an_opaque_revision_is_not_evaluable(api: TestClient, supplier: Party) -> None:
    asset_id = uploaded(api, supplier, b"\x00\x01binary", fmt="opaque")

    r = api.post(f"/assets/{asset_id}/revisions/1/quality", json={}, headers=supplier.headers)

    assert r.status_code == 422
    assert r.json()["error"] == "not_evaluable"


def test_a_malformed_upload_gets_a_report_not_a_failed_job(
    api: TestClient, supplier: Party
) -> None:
    asset_id = uploaded(api, supplier, b"a,b\n1,2\n")
    r = api.post(f"/assets/{asset_id}/revisions/1/quality", json={}, headers=supplier.headers)
    assert r.status_code == 202, r.text

    got = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers).json()

    assert got["status"] == "done"
    assert got["report"]["rows"] == 1


def test_a_tabular_upload_is_evaluated_by_itself(
    api: TestClient, supplier: Party, asset_runtime: Runtime
) -> None:
    asset_id = uploaded(api, supplier, CSV)

    got = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers).json()

    assert got["status"] == "done", got
    assert got["progress_percent"] == 100
    assert got["report"]["rows"] == 2
    assert got["report"]["weights"] == asset_runtime.settings.quality_weights
    with Session(asset_runtime.engine) as session:
        kinds = session.exec(select(JournalEntry.kind)).all()
    assert kinds.count("quality.assessed") == 1


def test_an_opaque_upload_starts_no_evaluation(api: TestClient, supplier: Party) -> None:
    asset_id = uploaded(api, supplier, b"\x00\x01binary", fmt="opaque")

    r = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers)

    assert r.status_code == 404


def test_no_evaluation_starts_by_itself_when_the_setting_is_off(
    engine: Engine, blob_dir: Path
) -> None:
    settings = settings_for(engine, blob_url=f"file://{blob_dir}", quality_evaluate_on_upload=False)
    runtime = Runtime(settings=settings, engine=engine)
    runtime.chain_id = CHAIN_ID
    with TestClient(create_app(runtime=runtime)) as api:
        ops = operator(api, runtime)
        supplier = party(api, "quiet@supplier.test", "Quiet Data", ["supplier"])
        verify(api, ops, supplier)
        asset_id = uploaded(api, supplier, CSV)
        r = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers)
        assert r.status_code == 404
        asked = api.post(
            f"/assets/{asset_id}/revisions/1/quality", json={}, headers=supplier.headers
        )
        assert asked.status_code == 202, asked.text


def test_the_upload_succeeds_when_scheduling_the_evaluation_fails(
    api: TestClient, supplier: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the quality queue is down")

    monkeypatch.setattr(evaluations, "request_evaluation", broken)
    asset_id = int(create(api, supplier)["id"])

    r = upload(api, supplier, asset_id, CSV)

    assert r.status_code == 201, r.text
    assert api.get(f"/assets/{asset_id}/revisions/1", headers=supplier.headers).status_code == 200
    r = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers)
    assert r.status_code == 404


def test_a_report_that_cannot_be_recorded_fails_its_evaluation_and_the_next_one_runs(
    api: TestClient, supplier: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording is part of the job: a report the journal refuses (a hash that cannot be made)
    fails the evaluation with the reason, not left running, which kept the revision's later
    evaluations queued and its draft asset undeletable."""
    record = evaluations.record

    def refused(*_: object, **__: object) -> None:
        raise ValueError("the report cannot be hashed")

    monkeypatch.setattr(evaluations, "record", refused)
    asset_id = uploaded(api, supplier, CSV)
    first = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers).json()
    assert first["status"] == "failed", first
    assert "cannot be hashed" in first["error"]

    monkeypatch.setattr(evaluations, "record", record)
    asked = api.post(f"/assets/{asset_id}/revisions/1/quality", json={}, headers=supplier.headers)
    assert asked.status_code == 202, asked.text
    again = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers).json()
    assert again["status"] == "done", again
    assert api.delete(f"/assets/{asset_id}", headers=supplier.headers).status_code in (200, 204)


def test_quality_weights_come_from_settings(
    api: TestClient, supplier: Party, asset_runtime: Runtime, tmp_path: Path
) -> None:
    weights = dict.fromkeys(asset_runtime.settings.quality_weights, 0) | {"completeness": 1}
    asset_runtime.settings = asset_runtime.settings.model_copy(
        update={f"quality_weight_{k}": v for k, v in weights.items()}
    )
    asset_id = uploaded(api, supplier, write_table(tmp_path / "t.csv").read_bytes())

    report = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers).json()[
        "report"
    ]

    completeness = next(d for d in report["dimensions"] if d["name"] == "completeness")
    assert report["weights"] == weights
    assert report["overall"] == completeness["score"]


@pytest.mark.slow
def test_a_revision_larger_than_64_mib_is_evaluated_from_its_decrypted_memory_file(
    engine: Engine, blob_dir: Path
) -> None:
    runtime = Runtime(
        settings=settings_for(engine, blob_url=f"file://{blob_dir}", upload_bytes_max=2**27),
        engine=engine,
    )
    runtime.chain_id = CHAIN_ID
    row = b"12345678,some text value for the column,3.25\n"
    body = b"id,text,price\n" + row * (70 * 1024 * 1024 // len(row))  # about 70 MiB
    with TestClient(create_app(runtime=runtime)) as api:
        ops = operator(api, runtime)
        supplier = party(api, "big@supplier.test", "Big Data Co", ["supplier"])
        verify(api, ops, supplier)
        asset_id = uploaded(api, supplier, body)
        got = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers).json()

    assert got["status"] == "done", got
    assert got["report"]["rows"] == body.count(b"\n") - 1
    access = next(d for d in got["report"]["dimensions"] if d["name"] == "accessibility")
    assert access["measurements"]["content_hash_matches"] is True


def test_a_revision_over_the_evaluation_limit_is_reported_unreadable_not_failed(
    api: TestClient, supplier: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace import limits

    monkeypatch.setattr(limits, "quality_memory_file_bytes_max", 10)
    asset_id = uploaded(api, supplier, CSV)

    got = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers).json()

    assert got["status"] == "done", got
    access = next(d for d in got["report"]["dimensions"] if d["name"] == "accessibility")
    assert "larger than 10 bytes" in json.dumps(access)
