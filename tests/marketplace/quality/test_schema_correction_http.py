"""A corrected schema is judged again by itself, and the report shown is the latest one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from marketplace import limits
from marketplace.app import create_app
from marketplace.quality.models import EvaluationStatus, QualityEvaluation
from marketplace.quality.service import evaluations
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import Party, create, operator, party, review, upload, verify
from tests.marketplace.identity.helpers import CHAIN_ID

# A dash for "no reading": not a marker inference knows, so the supplier declares it.
DASHED = b"id,reading\n1,2.5\n2,-\n3,4\n4,-\n"
CORRECTED = {
    "fields": [{"name": "id", "type": "integer"}, {"name": "reading", "type": "number"}],
    "missingValues": ["", "-"],
}


def _nulls(report: dict[str, Any]) -> int:
    completeness = next(d for d in report["dimensions"] if d["name"] == "completeness")
    count: int = completeness["measurements"]["null_cells"]
    return count


def _schema_source(report: dict[str, Any]) -> str:
    normativity = next(d for d in report["dimensions"] if d["name"] == "normativity")
    source: str = normativity["measurements"]["schema_source"]
    return source


def _uploaded(api: TestClient, who: Party) -> int:
    asset_id = int(create(api, who)["id"])
    r = upload(api, who, asset_id, DASHED)
    assert r.status_code == 201, r.text
    return asset_id


def _correct(api: TestClient, who: Party, asset_id: int) -> None:
    r = api.put(
        f"/assets/{asset_id}/revisions/1/schema",
        json={"table_schema": CORRECTED},
        headers=who.headers,
    )
    assert r.status_code == 200, r.text


def test_a_corrected_schema_is_evaluated_again_and_its_report_is_the_one_shown(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id = _uploaded(api, supplier)
    first = api.get(f"/assets/{asset_id}/quality", headers=supplier.headers).json()
    assert _nulls(first["report"]) == 0  # "-" is text to inference
    assert _schema_source(first["report"]) == "inferred"  # nobody declared the upload's schema

    _correct(api, supplier, asset_id)

    # The TestClient runs background tasks before returning: the job has run.
    latest = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers).json()
    assert latest["status"] == "done"
    assert latest["id"] != first["id"]
    assert _nulls(latest["report"]) == 2
    assert latest["report"]["judged_schema"]["missingValues"] == ["", "-"]
    assert _schema_source(latest["report"]) == "declared"
    shown = api.get(f"/assets/{asset_id}/quality", headers=supplier.headers).json()
    assert shown["id"] == latest["id"]
    page = api.get(f"/assets/{asset_id}/quality/report.html", headers=supplier.headers)
    assert latest["report_hash"] in page.text
    # Registered and listed: what buyers see is the corrected report too.
    r = api.post(f"/assets/{asset_id}/submit", json={}, headers=supplier.headers)
    assert r.status_code == 200, r.text
    assert review(api, ops, asset_id, "approved").status_code == 201
    assert api.post(f"/assets/{asset_id}/list", headers=supplier.headers).status_code == 200
    public = api.get(f"/assets/{asset_id}/quality").json()
    assert public["id"] == latest["id"]
    assert _nulls(public["report"]) == 2


def test_a_waiting_evaluation_takes_the_corrected_schema_instead_of_a_second_one(
    api: TestClient, supplier: Party, asset_runtime: Runtime
) -> None:
    asset_id = _uploaded(api, supplier)
    first = api.get(f"/assets/{asset_id}/quality", headers=supplier.headers).json()
    with Session(asset_runtime.engine) as session:  # one queued, as if its job had not started
        done = session.get(QualityEvaluation, first["id"])
        assert done is not None
        waiting = QualityEvaluation(
            asset_id=asset_id, revision=1, declared=done.declared, requested_by=done.requested_by
        )
        session.add(waiting)
        session.commit()
        waiting_id = waiting.id

    _correct(api, supplier, asset_id)

    latest = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers).json()
    assert latest["id"] == waiting_id
    assert latest["status"] == "done"
    assert _nulls(latest["report"]) == 2
    with Session(asset_runtime.engine) as session:
        evaluations = session.exec(
            select(QualityEvaluation).where(QualityEvaluation.asset_id == asset_id)
        ).all()
    assert len(evaluations) == 2  # the upload's and the one that waited


def test_no_evaluation_follows_a_correction_when_automatic_evaluation_is_off(
    engine: Engine, blob_dir: Path
) -> None:
    settings = settings_for(engine, blob_url=f"file://{blob_dir}", quality_evaluate_on_upload=False)
    runtime = Runtime(settings=settings, engine=engine)
    runtime.chain_id = CHAIN_ID
    with TestClient(create_app(runtime=runtime)) as api:
        ops = operator(api, runtime)
        supplier = party(api, "quiet@supplier.test", "Quiet Data", ["supplier"])
        verify(api, ops, supplier)
        asset_id = _uploaded(api, supplier)

        _correct(api, supplier, asset_id)

        r = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers)
        assert r.status_code == 404


def test_a_correction_during_an_evaluation_waits_for_it_then_runs(
    api: TestClient, supplier: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One job a revision: the correction's evaluation waits while the upload's runs (one
    decrypted copy in memory), and the running job takes it next."""
    seen: list[str] = []
    real = evaluations.evaluate

    def correcting_midway(*args: Any, **kwargs: Any) -> Any:
        if not seen:  # the upload's evaluation: the supplier corrects the schema meanwhile
            seen.append("upload")
            _correct(api, supplier, asset_id)
            waiting = api.get(
                f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers
            ).json()
            seen.append(waiting["status"])
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluations, "evaluate", correcting_midway)
    asset_id = int(create(api, supplier)["id"])

    assert upload(api, supplier, asset_id, DASHED).status_code == 201

    assert seen == ["upload", "queued"]  # it waited while the upload's ran
    latest = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers).json()
    assert latest["status"] == "done"
    assert _nulls(latest["report"]) == 2


def test_an_evaluation_left_running_by_a_stopped_process_holds_nothing_back(
    api: TestClient, supplier: Party, asset_runtime: Runtime
) -> None:
    asset_id = _uploaded(api, supplier)
    first = api.get(f"/assets/{asset_id}/quality", headers=supplier.headers).json()
    long_ago = datetime.now(UTC) - timedelta(seconds=limits.quality_running_stale_s + 60)
    with Session(asset_runtime.engine) as session:  # "running" since long before a restart
        done = session.get(QualityEvaluation, first["id"])
        assert done is not None
        dead = QualityEvaluation(
            asset_id=asset_id,
            revision=1,
            status=EvaluationStatus.running,
            declared=done.declared,
            requested_by=done.requested_by,
            updated_at=long_ago,
        )
        session.add(dead)
        session.commit()

    _correct(api, supplier, asset_id)

    latest = api.get(f"/assets/{asset_id}/revisions/1/quality", headers=supplier.headers).json()
    assert latest["status"] == "done"
    assert _nulls(latest["report"]) == 2
