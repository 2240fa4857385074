"""An objection's ruling executed while an operator delists the asset: one waits for the other,
never in a cycle. Delisting locks the asset, then the journal head. The execution used to lock
the dispute, settle the arbitration fee holds (the journal head) and only then lock the asset and
the objection to apply the ruling, so the two deadlocked on PostgreSQL and one was aborted (the
ruling's execution failed for the run, or the operator got a 503).

The execution is held (patched) once it holds the journal head, just before it applies the
ruling to the asset, for at most ``HOLD_S``, while the delisting is sent, so that the
interleaving is the same every run."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.assets import repository as assets_repository
from marketplace.assets.service import arbitration
from marketplace.disputes import execution_job
from marketplace.disputes.execution_job import ExecutionRun
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.disputes.helpers import escalate
from tests.marketplace.disputes.test_objections_http import _ruled, case  # noqa: F401 -- the fixture
from tests.marketplace.orders.money import reconciled

#: How long the execution waits, holding the journal head, for the delisting to lock the asset.
HOLD_S = 2.0


def test_delisting_the_asset_while_its_objection_ruling_executes_is_no_deadlock(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, judge: Party,
    case: tuple[int, dict[str, Any]], monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:  # fmt: skip
    asset_id, objection = case
    r = escalate(api, supplier, asset_id, objection["id"])
    assert r.status_code == 201, r.text
    dispute = r.json()
    closes = _ruled(api, runtime=asset_runtime, judge=judge, dispute=dispute, outcome="dismiss",
                    monkeypatch=monkeypatch)  # fmt: skip
    job_holds_head, delist_holds_asset = threading.Event(), threading.Event()
    execute_ruling, lock_asset = arbitration.execute_ruling, assets_repository.lock_asset

    def held_execute_ruling(*args: Any, **kwargs: Any) -> Any:
        job_holds_head.set()  # the fee holds are settled: the execution holds the head
        delist_holds_asset.wait(HOLD_S)
        return execute_ruling(*args, **kwargs)

    def signalling_lock_asset(*args: Any, **kwargs: Any) -> Any:
        row = lock_asset(*args, **kwargs)
        if threading.current_thread().name != "job":
            delist_holds_asset.set()  # the delisting holds the asset; it wants the head
        return row

    monkeypatch.setattr(arbitration, "execute_ruling", held_execute_ruling)
    monkeypatch.setattr(assets_repository, "lock_asset", signalling_lock_asset)
    runs: list[ExecutionRun] = []
    engine, settings = asset_runtime.engine, asset_runtime.settings
    job = threading.Thread(
        target=lambda: runs.append(execution_job.run_once(engine, settings, now=closes)),
        name="job",
    )
    job.start()
    assert job_holds_head.wait(30)
    delisted = api.post(f"/assets/{asset_id}/delist", headers=ops.headers)
    job.join(60)

    assert (runs[0].executed, runs[0].failed) == ([dispute["id"]], {})
    assert delisted.status_code == 200, delisted.text
    shown = api.get(f"/assets/{asset_id}", headers=supplier.headers).json()
    assert (shown["status"], shown["under_objection"]) == ("delisted", False)
    decided = api.get(f"/objections/{objection['id']}", headers=supplier.headers).json()
    assert decided["status"] == "dismissed"
    assert reconciled(engine)
