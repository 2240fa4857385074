"""A refund ruling executed while the buyer downloads its licence again: one waits for the
other, never in a cycle. A download locks the licence, then the journal head (its
``delivery.served``). The execution used to lock the dispute, move the money (the journal
head), and only then lock the order and the licence, to end the licence the refund takes back,
so the two deadlocked on PostgreSQL and one was aborted (the ruling's execution failed for the
run, or the buyer got a 503).

The execution is held (patched) once it holds the journal head, just before it closes the
order, for at most ``HOLD_S``, while the download is asked for, so that the interleaving is the
same every run."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace.delivery import repository as delivery_repository
from marketplace.delivery.service import downloads, licence_for_order
from marketplace.disputes import execution_job
from marketplace.disputes.execution_job import ExecutionRun
from marketplace.orders import service as orders
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.disputes.helpers import (
    after_evidence,
    at,
    open_dispute,
    paid_order,
    post_ruling,
)
from tests.marketplace.orders.money import reconciled

#: How long the execution waits, holding the journal head, for the download to lock the licence.
HOLD_S = 2.0


def _licence(runtime: Runtime, order_id: int) -> int:
    with Session(runtime.engine) as session:
        found = licence_for_order(session, order_id)
    assert found is not None
    return found.id


def test_a_download_while_a_refund_ruling_executes_is_no_deadlock(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    licence_id = _licence(asset_runtime, order["id"])
    first = api.post(f"/licences/{licence_id}/download-url", headers=buyer.headers)
    assert first.status_code == 201, first.text  # delivered: the next download is no first
    dispute = open_dispute(api, buyer, order["id"])
    at(monkeypatch, after_evidence(dispute))
    ruled = post_ruling(api, judge, dispute["id"], "refund")
    assert ruled.status_code == 200, ruled.text
    closes = datetime.fromisoformat(ruled.json()["appeal_closes_at"])
    monkeypatch.setattr(downloads, "utc_now", lambda: closes)  # the download's clock, too

    job_holds_head, download_holds_licence = threading.Event(), threading.Event()
    close_dispute, lock_licence = orders.close_dispute, delivery_repository.lock_licence

    def held_close_dispute(*args: Any, **kwargs: Any) -> Any:
        job_holds_head.set()  # the refund is journaled: the execution holds the head
        download_holds_licence.wait(HOLD_S)
        return close_dispute(*args, **kwargs)

    def signalling_lock_licence(*args: Any, **kwargs: Any) -> Any:
        row = lock_licence(*args, **kwargs)
        if threading.current_thread().name != "job":
            download_holds_licence.set()  # the download holds the licence; it wants the head
        return row

    monkeypatch.setattr(orders, "close_dispute", held_close_dispute)
    monkeypatch.setattr(delivery_repository, "lock_licence", signalling_lock_licence)
    runs: list[ExecutionRun] = []
    engine, settings = asset_runtime.engine, asset_runtime.settings
    job = threading.Thread(
        target=lambda: runs.append(execution_job.run_once(engine, settings, now=closes)),
        name="job",
    )
    job.start()
    assert job_holds_head.wait(30)
    downloaded = api.post(f"/licences/{licence_id}/download-url", headers=buyer.headers)
    job.join(60)

    assert (runs[0].executed, runs[0].failed) == ([dispute["id"]], {})
    # The refund ended the licence first; the download then finds it expired.
    assert downloaded.status_code == 403, downloaded.text
    assert downloaded.json()["error"] == "licence_expired"
    assert api.get(f"/orders/{order['id']}", headers=buyer.headers).json()["status"] == "refunded"
    assert api.get(f"/licences/{licence_id}", headers=buyer.headers).json()["downloads"] == 1
    assert reconciled(engine)
