"""The buyer acting on a subscription (opting into renewal) while the settlement
job settles one of its periods: each waits for the other, never in a cycle. The job locks a
period, its plan, then its order; the buyer's request takes them in the same order, so neither
gets PostgreSQL's deadlock error (a 503 to the buyer, or a failed period in the job's run).

The job is held (patched) once it holds the period and the plan, for at most ``HOLD_S``, while
the buyer's request starts, so that the interleaving is the same every run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace.delivery import repository as delivery_repository
from marketplace.delivery.service import licence_for_order
from marketplace.orders.service import periods
from marketplace.orders.service._common import locked
from marketplace.orders.settlement_job import SettlementRun, run_once
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import on_sale
from tests.marketplace.orders.money import deliver, fund, reconciled
from tests.marketplace.orders.test_periods import MONTHLY, PER_PERIOD, _end, _periods
from tests.marketplace.orders.test_settlement_http import purchase

#: How long the job waits, holding the period and the plan, for the buyer's request.
HOLD_S = 2.0

RENEWING = {**MONTHLY, "auto_renew": True}


@pytest.fixture
def parties(supplier: Party, buyer: Party, ops: Party) -> tuple[Party, Party, Party]:
    return supplier, buyer, ops


def _buyer_acts_while_the_job_settles(
    api: TestClient,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    *,
    buyer: Party,
    order_id: int,
    act: Callable[[], Any],
) -> tuple[Any, SettlementRun]:
    job_holds_plan, buyer_holds_order = threading.Event(), threading.Event()
    original = locked

    def held_locked(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "job":  # it holds the period and the plan
            job_holds_plan.set()
            buyer_holds_order.wait(HOLD_S)
            return original(*args, **kwargs)
        order = original(*args, **kwargs)
        buyer_holds_order.set()
        return order

    monkeypatch.setattr(periods, "locked", held_locked)
    end = _end(_periods(api, buyer, order_id)[0])
    runs: list[SettlementRun] = []
    job = threading.Thread(
        target=lambda: runs.append(run_once(runtime.engine, runtime.settings, now=end)),
        name="job",
    )
    job.start()
    assert job_holds_plan.wait(30)
    answer: dict[str, Any] = {}

    acting = threading.Thread(target=lambda: answer.setdefault("r", act()))
    acting.start()
    acting.join(60)
    job.join(60)
    return answer["r"], runs[0]


def _licence(runtime: Runtime, order_id: int) -> int:
    with Session(runtime.engine) as session:
        found = licence_for_order(session, order_id)
    assert found is not None
    return found.id


def _subscription(
    api: TestClient, runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> int:
    fund(runtime.engine, buyer.organization_id, 3 * PER_PERIOD)
    listing = on_sale(api, supplier, ops, price_model=RENEWING)
    r = purchase(api, buyer, listing["id"], quantity=2)
    assert r.status_code == 201, r.text
    order_id = int(r.json()["id"])
    deliver(runtime.engine, order_id)
    return order_id


def test_opting_into_renewal_while_the_job_settles_a_period_is_no_deadlock(
    api: TestClient,
    asset_runtime: Runtime,
    parties: tuple[Party, Party, Party],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    supplier, buyer, ops = parties
    order_id = _subscription(api, asset_runtime, supplier, buyer, ops)
    r, run = _buyer_acts_while_the_job_settles(
        api, asset_runtime, monkeypatch, buyer=buyer, order_id=order_id,
        act=lambda: api.post(
            f"/orders/{order_id}/renewal", json={"auto_renew": True}, headers=buyer.headers
        ),
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert run.periods_failed == {}, run
    assert run.periods_settled == [(order_id, 1)]
    assert reconciled(asset_runtime.engine)


def test_two_runs_accepting_a_subscription_and_settling_its_period_is_no_deadlock(
    api: TestClient,
    asset_runtime: Runtime,
    parties: tuple[Party, Party, Party],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One run accepts the delivered subscription (its acceptance window ended: the order, then
    the journal head) while another settles its first period (the period, the plan, then the
    order). Accepting used to lock the plan after the head, while the other run held the plan
    and waited for the order: PostgreSQL aborted one of them. The accepting run is held once it
    holds the head, until the settling run holds the plan (at most ``HOLD_S``)."""
    supplier, buyer, ops = parties
    order_id = _subscription(api, asset_runtime, supplier, buyer, ops)
    end = _end(_periods(api, buyer, order_id)[0])  # past the acceptance window, too
    accepting_holds_head, settling_holds_plan = threading.Event(), threading.Event()
    after_accept, original_locked = periods.after_accept, locked

    def held_after_accept(*args: Any, **kwargs: Any) -> Any:
        accepting_holds_head.set()  # order.accepted is written
        settling_holds_plan.wait(HOLD_S)
        return after_accept(*args, **kwargs)

    def signalling_locked(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "settling":  # it holds the period and the plan
            settling_holds_plan.set()
        return original_locked(*args, **kwargs)

    monkeypatch.setattr(periods, "after_accept", held_after_accept)
    monkeypatch.setattr(periods, "locked", signalling_locked)
    engine, settings = asset_runtime.engine, asset_runtime.settings
    runs: dict[str, SettlementRun] = {}

    def run(name: str) -> threading.Thread:
        thread = threading.Thread(
            target=lambda: runs.setdefault(name, run_once(engine, settings, now=end)), name=name
        )
        thread.start()
        return thread

    accepting = run("accepting")
    assert accepting_holds_head.wait(30)
    settling = run("settling")
    for thread in (accepting, settling):
        thread.join(60)

    assert {name: (r.failed, r.periods_failed) for name, r in runs.items()} == {
        "accepting": ({}, {}),
        "settling": ({}, {}),
    }
    assert runs["accepting"].settled == [order_id]
    # Settled once, by either run (on SQLite the settling run waits for the accepting one's
    # transaction, and the accepting run may reach the period first).
    settled = [p for r in runs.values() for p in r.periods_settled]
    assert settled.count((order_id, 1)) == 1
    assert api.get(f"/orders/{order_id}", headers=buyer.headers).json()["status"] == "accepted"
    assert _periods(api, buyer, order_id)[0]["status"] == "settled"
    assert reconciled(asset_runtime.engine)


def test_a_download_while_the_last_period_settles_and_ends_the_licence_is_no_deadlock(
    api: TestClient,
    asset_runtime: Runtime,
    parties: tuple[Party, Party, Party],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The job settles the one period bought (the period, the plan, the order, then the journal
    head) and the plan stops, ending the licence (``stop_hooks``) while the buyer downloads again
    (the licence, then the head). The job used to lock the licence after the head: PostgreSQL
    aborted one of them. The job is held once it holds the head, until the download holds the
    licence (at most ``HOLD_S``)."""
    supplier, buyer, ops = parties
    fund(asset_runtime.engine, buyer.organization_id, PER_PERIOD)
    listing = on_sale(api, supplier, ops, price_model=MONTHLY)
    order_id = int(purchase(api, buyer, listing["id"]).json()["id"])
    licence_id = _licence(asset_runtime, order_id)
    first = api.post(f"/licences/{licence_id}/download-url", headers=buyer.headers)
    assert first.status_code == 201, first.text  # delivered: the next download is no first
    end = _end(_periods(api, buyer, order_id)[0])
    job_holds_head, download_holds_licence = threading.Event(), threading.Event()
    next_period, lock_licence = periods._next, delivery_repository.lock_licence

    def held_next(*args: Any, **kwargs: Any) -> Any:
        job_holds_head.set()  # period.settled is written: the job holds the head
        download_holds_licence.wait(HOLD_S)
        return next_period(*args, **kwargs)

    def signalling_lock_licence(*args: Any, **kwargs: Any) -> Any:
        row = lock_licence(*args, **kwargs)
        if threading.current_thread().name != "job":
            download_holds_licence.set()  # the download holds the licence; it wants the head
        return row

    monkeypatch.setattr(periods, "_next", held_next)
    monkeypatch.setattr(delivery_repository, "lock_licence", signalling_lock_licence)
    engine, settings = asset_runtime.engine, asset_runtime.settings
    runs: list[SettlementRun] = []
    job = threading.Thread(
        target=lambda: runs.append(run_once(engine, settings, now=end)), name="job"
    )
    job.start()
    assert job_holds_head.wait(30)
    downloaded = api.post(f"/licences/{licence_id}/download-url", headers=buyer.headers)
    job.join(60)

    assert (runs[0].periods_settled, runs[0].periods_failed) == ([(order_id, 1)], {})
    assert downloaded.status_code == 201, downloaded.text  # the licence runs to the period's end
    shown = api.get(f"/licences/{licence_id}", headers=buyer.headers).json()
    assert (shown["downloads"], datetime.fromisoformat(shown["expires_at"])) == (2, end)
    assert reconciled(asset_runtime.engine)
