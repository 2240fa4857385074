"""A ruling executes exactly once: the job run twice, two runs at once, and a run that crashes
after the books moved but before its commit (rolled back whole, then executed once by the next
run). The books reconcile to zero throughout."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from ledger.models import JournalEntry
from marketplace.disputes import execution_job
from marketplace.disputes.models import Dispute
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.disputes.helpers import (
    after_evidence,
    at,
    open_dispute,
    paid_order,
    post_ruling,
)
from tests.marketplace.orders.money import balance, reconciled


def ruled_case(
    api: TestClient, runtime: Runtime, parties: tuple[Party, Party, Party, Party],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, datetime]:  # fmt: skip
    supplier, buyer, ops, judge = parties
    order = paid_order(api, runtime, supplier, buyer, ops)
    dispute = open_dispute(api, buyer, order["id"])
    at(monkeypatch, after_evidence(dispute))
    r = post_ruling(api, judge, dispute["id"], "split", 3000)
    assert r.status_code == 200, r.text
    return dispute["id"], datetime.fromisoformat(r.json()["appeal_closes_at"])


def executed_entries(runtime: Runtime, dispute_id: int) -> int:
    with Session(runtime.engine) as session:
        rows = session.exec(
            select(JournalEntry).where(
                JournalEntry.kind == "ruling.executed",
                JournalEntry.subject == f"dispute:{dispute_id}",
            )
        )
        return len(list(rows))


def test_two_runs_at_once_execute_once(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    dispute_id, closes = ruled_case(api, asset_runtime, (supplier, buyer, ops, judge), monkeypatch)
    done: list[list[int]] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        found = execution_job.run_once(asset_runtime.engine, asset_runtime.settings, now=closes)
        done.append(found.executed)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(done) == [[], [dispute_id]]
    assert (
        execution_job.run_once(asset_runtime.engine, asset_runtime.settings, now=closes).executed
        == []
    )
    assert executed_entries(asset_runtime, dispute_id) == 1
    assert balance(asset_runtime.engine, supplier.organization_id) == (36_563, 0)
    assert reconciled(asset_runtime.engine)


def test_a_crash_before_the_commit_leaves_nothing_and_the_next_run_executes_once(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    engine = asset_runtime.engine
    dispute_id, closes = ruled_case(api, asset_runtime, (supplier, buyer, ops, judge), monkeypatch)
    before = [balance(engine, p.organization_id) for p in (buyer, supplier)]

    def crash(session: Session, dispute: Dispute) -> None:
        assert dispute.status == "executed"  # the books have moved in this transaction
        raise RuntimeError("the process died here")

    crashed = execution_job.run_once(
        engine, asset_runtime.settings, now=closes, before_commit=crash
    )
    assert list(crashed.failed) == [dispute_id]
    assert crashed.executed == []
    assert [balance(engine, p.organization_id) for p in (buyer, supplier)] == before
    assert executed_entries(asset_runtime, dispute_id) == 0
    assert reconciled(engine)
    shown = api.get(f"/disputes/{dispute_id}", headers=buyer.headers).json()
    assert shown["status"] == "ruled"

    assert execution_job.run_once(engine, asset_runtime.settings, now=closes).executed == [
        dispute_id
    ]
    assert execution_job.run_once(engine, asset_runtime.settings, now=closes).executed == []
    assert executed_entries(asset_runtime, dispute_id) == 1
    assert balance(engine, supplier.organization_id) == (36_563, 0)
    assert reconciled(engine)
