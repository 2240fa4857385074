"""The payment provider is called after the commit, by the request and else by the payments
worker, with the payment's idempotency key: a refused withdrawal returns its money, a lost answer
is asked again and pays out once, a caller whose claim expired and the one that took over post
once, and concurrent workers share the due calls. The simulated banks of each kind
(``DATABOURSE_PAYMENT_PROVIDER``) play the provider; the books reconcile after each test."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ledger.models import utc_now
from marketplace import limits
from marketplace.app import create_app
from marketplace.books import repository
from marketplace.books.models import OutboxStatus, Payment, PaymentOutbox
from marketplace.books.payment_job import PaymentWorker, run_once, send
from marketplace.books.providers import CLOSED_ACCOUNT, SIMULATED_LEDGER, SimulatedBank
from marketplace.books.service.payments import idempotency_key, record_answer
from marketplace.db import unit_of_work
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import Party
from tests.marketplace.books.helpers import balance, deposit, payment, withdraw, withdrawing


@pytest.fixture
def bank(request: pytest.FixtureRequest) -> str:
    """The payment provider the test's exchange uses (``simulated`` unless parametrized)."""
    return str(getattr(request, "param", "simulated"))


@pytest.fixture
def asset_runtime(engine: Engine, blob_dir: Path, bank: str) -> Runtime:
    return Runtime(
        settings=settings_for(engine, blob_url=f"file://{blob_dir}", payment_provider=bank),
        engine=engine,
    )


@pytest.fixture
def api(asset_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=asset_runtime), raise_server_exceptions=False) as c:
        yield c


def _reconciled(api: TestClient, ops: Party) -> None:
    r = api.get("/books/reconcile", headers=ops.headers)
    assert r.status_code == 200, r.text
    assert r.json()["ok"], r.json()["problems"]
    assert r.json()["total_minor"] == 0


def _key(engine: Engine, payment_id: int) -> str:
    with Session(engine) as s:
        box = repository.outbox(s, payment_id)
        assert box is not None
        return box.idempotency_key


def _kinds(api: TestClient) -> list[str]:
    return [e["kind"] for e in api.get("/ledger/entries").json()["items"]]


def _codes(api: TestClient, who: Party) -> list[str]:
    return [ln["code"] for ln in api.get("/books/statement", headers=who.headers).json()["lines"]]


def _funded(api: TestClient, runtime: Runtime, who: Party, amount_minor: int) -> datetime:
    """Deposit ``amount_minor`` and see it confirmed, by the worker if the request's call lost
    its answer; the moment the worker ran at."""
    later = utc_now() + timedelta(hours=1)
    r = deposit(api, who, amount_minor)
    assert r.status_code == 201, r.text
    if payment(api, who, r)["status"] == "pending":
        run_once(runtime.engine, runtime.settings, now=later)
    assert payment(api, who, r)["status"] == "confirmed"
    return later


@pytest.mark.parametrize("bank", ["simulated_failing"], indirect=True)
def test_a_withdrawal_the_provider_refuses_returns_the_money(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party
) -> None:
    later = _funded(api, asset_runtime, payer, 1_000)
    r = withdraw(api, payer, 600)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending"
    out = payment(api, payer, r)
    assert out["status"] == "failed"
    assert out["failure_reason"] == CLOSED_ACCOUNT
    assert out["requested_seq"] < out["failed_seq"]
    assert out["confirmed_seq"] is None
    assert balance(api, payer) == (1_000, 0)
    assert withdrawing(api, payer) == 0
    assert _codes(api, payer) == [
        "deposit", "withdrawal_hold", "withdrawal_hold", "withdrawal_return", "withdrawal_return",
    ]  # fmt: skip
    kinds = _kinds(api)
    assert kinds.count("payment.withdrawal_requested") == kinds.count("payment.failed") == 1
    assert "payment.withdrawn" not in kinds
    entries = api.get("/ledger/entries", params={"subject": f"payment:{out['id']}"}).json()
    for entry in entries["items"]:  # commitments, never amounts
        assert "amount_minor" not in entry["payload"]
    # Nothing is left to send: the refusal is final.
    assert run_once(asset_runtime.engine, asset_runtime.settings, now=later).sent == {}
    assert payment(api, payer, r)["status"] == "failed"
    _reconciled(api, ops)


@pytest.mark.parametrize("bank", ["simulated_timeout"], indirect=True)
def test_a_lost_answer_is_asked_again_by_the_worker_and_pays_out_once(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    r = deposit(api, payer, 1_000)
    shown = payment(api, payer, r)
    assert shown["status"] == "pending"
    assert shown["provider_attempts"] == 1
    assert "did not answer" in shown["last_error"]
    assert balance(api, payer) == (0, 0)
    later = utc_now() + timedelta(hours=1)
    assert run_once(engine, settings, now=later).sent == {shown["id"]: "confirmed"}
    assert balance(api, payer) == (1_000, 0)

    w = withdraw(api, payer, 400)
    out = payment(api, payer, w)
    assert out["status"] == "pending"  # the bank paid it out, but its answer was lost
    assert (balance(api, payer), withdrawing(api, payer)) == ((600, 0), 400)
    _reconciled(api, ops)
    # Not due yet: a retry waits its backoff.
    assert run_once(engine, settings, now=utc_now()).sent == {}
    assert run_once(engine, settings, now=later).sent == {out["id"]: "confirmed"}
    done = payment(api, payer, w)
    assert done["status"] == "confirmed"
    assert done["provider_attempts"] == 2
    assert done["provider_ref"] == f"sim-{_key(engine, out['id'])}"
    assert (balance(api, payer), withdrawing(api, payer)) == ((600, 0), 0)
    assert run_once(engine, settings, now=later + timedelta(days=1)).sent == {}
    executed = SIMULATED_LEDGER.payment(_key(engine, out["id"]))
    assert executed is not None
    assert executed.calls == 2  # the lost answer and the retry: one payment at the bank
    assert _kinds(api).count("payment.withdrawn") == 1
    assert _codes(api, payer).count("withdrawal") == 1
    _reconciled(api, ops)


@pytest.mark.parametrize("bank", ["simulated_timeout"], indirect=True)
def test_a_caller_whose_claim_expired_and_the_one_that_took_over_post_once(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    later = _funded(api, asset_runtime, payer, 1_000)
    out = payment(api, payer, withdraw(api, payer, 250))
    pid = out["id"]
    # A worker claims the call and goes silent (it hangs, or died).
    with unit_of_work(engine) as s:
        until = later + timedelta(seconds=limits.books_payment_claim_s)
        assert repository.claim_outbox(s, pid, "stuck-worker", later, until)
    assert run_once(engine, settings, now=later + timedelta(seconds=1)).sent == {}
    # Once its claim has expired, another takes the call over and is answered.
    expired = later + timedelta(seconds=limits.books_payment_claim_s + 1)
    assert run_once(engine, settings, now=expired).sent == {pid: "confirmed"}
    # The stuck worker's call comes back at last: same key, so the bank answers as before...
    bank = SimulatedBank("timeout")
    answer = bank.start("withdrawal", idempotency_key=_key(engine, pid), amount_minor=250,
                        currency="CNY")  # fmt: skip
    with unit_of_work(engine) as s:
        # ... and recording it again moves nothing; its claim is gone, so it cannot reschedule.
        assert not repository.retry_outbox(s, pid, "stuck-worker", at=expired, error="late")
        row = record_answer(s, pid, answer, now=expired)
        assert row is not None
        assert row.status == "confirmed"
    with Session(engine) as s:
        box = repository.outbox(s, pid)
        assert box is not None
        assert box.status == OutboxStatus.done
    executed = SIMULATED_LEDGER.payment(_key(engine, pid))
    assert executed is not None
    assert executed.calls == 3  # the request's, the take-over's, the stuck worker's: one payment
    assert (balance(api, payer), withdrawing(api, payer)) == ((750, 0), 0)
    assert _codes(api, payer).count("withdrawal") == 1
    assert _kinds(api).count("payment.withdrawn") == 1
    _reconciled(api, ops)


@pytest.mark.parametrize("bank", ["simulated_timeout"], indirect=True)
def test_concurrent_workers_pay_each_withdrawal_out_once(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    later = _funded(api, asset_runtime, payer, 1_000)
    ids = [payment(api, payer, withdraw(api, payer, 50))["id"] for _ in range(8)]
    assert withdrawing(api, payer) == 400
    workers = 3
    start = threading.Barrier(workers)

    def work(name: str) -> dict[int, str]:
        start.wait()
        return run_once(engine, settings, now=later, holder=name).sent

    with ThreadPoolExecutor(workers) as pool:
        runs = list(pool.map(work, [f"worker-{i}" for i in range(workers)]))
    sent = [pid for run in runs for pid in run]
    assert sorted(sent) == sorted(ids)  # each call claimed by exactly one worker
    for pid in ids:
        assert payment_status(api, payer, pid) == "confirmed"
        executed = SIMULATED_LEDGER.payment(_key(engine, pid))
        assert executed is not None
        assert executed.calls == 2
    assert (balance(api, payer), withdrawing(api, payer)) == ((600, 0), 0)
    assert _codes(api, payer).count("withdrawal") == 8
    assert _kinds(api).count("payment.withdrawn") == 8
    _reconciled(api, ops)


def payment_status(api: TestClient, who: Party, payment_id: int) -> Any:
    r = api.get(f"/books/payments/{payment_id}", headers=who.headers)
    assert r.status_code == 200, r.text
    return r.json()["status"]


def test_the_request_sends_its_payment_and_the_worker_has_nothing_left(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party
) -> None:
    r = deposit(api, payer, 500)
    shown = payment(api, payer, r)
    assert shown["status"] == "confirmed"
    assert shown["provider_attempts"] == 1
    later = utc_now() + timedelta(days=1)
    assert run_once(asset_runtime.engine, asset_runtime.settings, now=later).sent == {}
    assert send(asset_runtime.engine, SimulatedBank(), shown["id"], fresh=True) is None
    _reconciled(api, ops)


def test_payments_are_listed_and_shown_to_their_organisation_only(
    api: TestClient, ops: Party, payer: Party, other: Party
) -> None:
    mine = deposit(api, payer, 300).json()["id"]
    out = withdraw(api, payer, 100).json()["id"]
    listed = api.get("/books/payments", headers=payer.headers)
    assert listed.status_code == 200, listed.text
    assert [(p["id"], p["status"]) for p in listed.json()["items"]] == [
        (out, "confirmed"),
        (mine, "confirmed"),
    ]
    only = api.get("/books/payments", params={"status": "failed"}, headers=payer.headers)
    assert only.json()["items"] == []
    assert api.get("/books/payments", headers=other.headers).json()["items"] == []
    for pid in (mine, out, out + 1000):
        theirs = api.get(f"/books/payments/{pid}", headers=other.headers)
        assert theirs.status_code == 404, theirs.text
        assert theirs.json()["error"] == "payment_not_found"
    assert api.get(f"/books/payments/{mine}", headers=ops.headers).status_code == 200
    assert api.get("/books/payments/0", headers=payer.headers).status_code == 422
    bad = api.get("/books/payments", params={"status": "lost"}, headers=payer.headers)
    assert bad.status_code == 422
    _reconciled(api, ops)


def _committed_deposit(runtime: Runtime, like_id: int, amount_minor: int, now: datetime) -> int:
    """A deposit as ``request_payment`` commits it (its payment and outbox rows), by the account
    that asked for payment ``like_id``, and nothing after: its request died. Its id."""
    with unit_of_work(runtime.engine) as s:
        proto = repository.get_payment(s, like_id)
        assert proto is not None
        ref = f"pending:died-{amount_minor}"
        row = Payment(
            organization_id=proto.organization_id, direction="deposit", amount_minor=amount_minor,
            currency="CNY", status="pending", provider=runtime.settings.payment_provider,
            provider_ref=ref, transfer_id=ref, requested_by=proto.requested_by, created_at=now,
        )  # fmt: skip
        s.add(row)
        s.flush()
        assert row.id is not None
        s.add(PaymentOutbox(
            payment_id=row.id, idempotency_key=idempotency_key(row.id), status="pending",
            next_attempt_at=now + timedelta(seconds=limits.books_payment_grace_s),
        ))  # fmt: skip
        return row.id


def test_a_deposit_the_books_could_not_take_is_refused_when_asked_for(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party, other: Party
) -> None:
    _funded(api, asset_runtime, payer, limits.amount_minor_max)  # all the books can hold
    listed = api.get("/books/payments", headers=other.headers).json()
    for who in (payer, other):
        r = deposit(api, who, 1)
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "invalid_amount"
        assert "cannot take this deposit" in r.json()["message"]
    assert api.get("/books/payments", headers=other.headers).json() == listed  # none recorded
    assert balance(api, payer) == (limits.amount_minor_max, 0)
    _reconciled(api, ops)


def test_a_confirmation_the_books_refuse_is_retried_and_the_worker_goes_on(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party
) -> None:
    """Two deposits the request's check did not see (committed by an exchange without it):
    the one the books cannot take stays pending, its error recorded, and the worker still
    confirms the other."""
    engine, settings = asset_runtime.engine, asset_runtime.settings
    first = payment(api, payer, deposit(api, payer, 10))
    now = utc_now()
    _funded(api, asset_runtime, payer, limits.amount_minor_max - 20)
    too_much = _committed_deposit(asset_runtime, first["id"], 100, now)
    fits = _committed_deposit(asset_runtime, first["id"], 5, now)
    after = now + timedelta(seconds=limits.books_payment_grace_s)
    assert run_once(engine, settings, now=after).sent == {too_much: "pending", fits: "confirmed"}
    assert balance(api, payer) == (limits.amount_minor_max - 5, 0)
    with Session(engine) as s:
        box = repository.outbox(s, too_much)
        assert box is not None
        assert box.status == "pending"
        assert "the books refused" in (box.last_error or "")
    _reconciled(api, ops)


def test_a_payment_whose_request_died_after_its_commit_is_sent_by_the_worker(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party
) -> None:
    """A request that committed its payment and died before calling the provider: the row is
    the request's for the grace period, then the worker's."""
    engine, settings = asset_runtime.engine, asset_runtime.settings
    first = payment(api, payer, deposit(api, payer, 100))
    now = utc_now()
    orphan = _committed_deposit(asset_runtime, first["id"], 900, now)
    assert run_once(engine, settings, now=now).sent == {}
    after = now + timedelta(seconds=limits.books_payment_grace_s)
    assert run_once(engine, settings, now=after).sent == {orphan: "confirmed"}
    assert payment_status(api, payer, orphan) == "confirmed"
    assert balance(api, payer) == (1_000, 0)
    _reconciled(api, ops)


@pytest.mark.parametrize("bank", ["simulated_timeout"], indirect=True)
def test_the_payments_worker_thread_retries_until_the_provider_answers(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party
) -> None:
    r = deposit(api, payer, 800)
    assert payment(api, payer, r)["status"] == "pending"
    settings = asset_runtime.settings.model_copy(update={"settlement_poll_s": 0.2})
    worker = PaymentWorker(asset_runtime.engine, settings)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while payment(api, payer, r)["status"] == "pending" and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.stop()
    assert payment(api, payer, r)["status"] == "confirmed"
    assert worker.last_error is None
    assert balance(api, payer) == (800, 0)
    _reconciled(api, ops)
