"""A payment the provider accepted (``processing``) is polled by the payments worker until the
provider decides it: confirmed credits once, failed returns a withdrawal's money once, and a
poll and the provider's webhook learning the same outcome at the same moment move it once. The
deferred simulated bank plays the provider: it accepts every payment and decides it later."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ledger.models import utc_now
from marketplace import limits
from marketplace.app import create_app
from marketplace.books import repository
from marketplace.books.models import OutboxStatus
from marketplace.books.payment_job import run_once, send
from marketplace.books.providers import (
    SIMULATED_LEDGER,
    ProviderOutcome,
    SimulatedBank,
    webhook_signature,
)
from marketplace.books.service.payments import webhook
from marketplace.db import unit_of_work
from marketplace.migrations import alembic_config, upgrade
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import Party
from tests.marketplace.books.helpers import (
    balance,
    confirmed,
    deposit,
    failed,
    payment,
    send_event,
    withdraw,
    withdrawing,
)


@pytest.fixture
def asset_runtime(engine: Engine, blob_dir: Path) -> Runtime:
    return Runtime(
        settings=settings_for(
            engine, blob_url=f"file://{blob_dir}", payment_provider="simulated_deferred"
        ),
        engine=engine,
    )


@pytest.fixture
def api(asset_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=asset_runtime), raise_server_exceptions=False) as c:
        yield c


def _key(engine: Engine, payment_id: int) -> str:
    with Session(engine) as s:
        box = repository.outbox(s, payment_id)
        assert box is not None
        return box.idempotency_key


def _outbox(engine: Engine, payment_id: int) -> tuple[str, datetime]:
    with Session(engine) as s:
        box = repository.outbox(s, payment_id)
        assert box is not None
        return box.status, box.next_attempt_at


def _kinds(api: TestClient) -> list[str]:
    return [e["kind"] for e in api.get("/ledger/entries").json()["items"]]


def _codes(api: TestClient, who: Party) -> list[str]:
    return [ln["code"] for ln in api.get("/books/statement", headers=who.headers).json()["lines"]]


def _reconciled(api: TestClient, ops: Party) -> None:
    r = api.get("/books/reconcile", headers=ops.headers)
    assert r.status_code == 200, r.text
    assert r.json()["ok"], r.json()["problems"]


def _shown(api: TestClient, who: Party, payment_id: int) -> dict[str, Any]:
    r = api.get(f"/books/payments/{payment_id}", headers=who.headers)
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def _processing(api: TestClient, who: Party, answered: Any) -> dict[str, Any]:
    assert answered.status_code == 201, answered.text
    shown = payment(api, who, answered)
    assert shown["status"] == "processing"
    return shown


def _poll_time() -> datetime:
    """Past any first poll's backoff."""
    return utc_now() + timedelta(seconds=limits.books_payment_poll_s_min + 1)


def test_a_deposit_whose_event_never_comes_is_confirmed_by_a_poll_once(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    shown = _processing(api, payer, deposit(api, payer, 700))
    pid = shown["id"]
    # Not due before its first poll's backoff.
    assert run_once(engine, settings, now=utc_now()).sent == {}
    # The bank has not decided yet: the poll learns nothing, and asks again later.
    assert run_once(engine, settings, now=_poll_time()).sent == {pid: "processing"}
    status, second_poll_at = _outbox(engine, pid)
    assert status == OutboxStatus.pending
    assert second_poll_at > _poll_time()
    assert balance(api, payer) == (0, 0)

    SIMULATED_LEDGER.decide(_key(engine, pid), ProviderOutcome.confirmed)
    assert run_once(engine, settings, now=second_poll_at).sent == {pid: "confirmed"}
    done = _shown(api, payer, pid)
    assert done["status"] == "confirmed"
    assert done["confirmed_seq"] is not None
    assert done["provider_attempts"] == 3  # the start and two polls
    assert balance(api, payer) == (700, 0)
    assert _outbox(engine, pid)[0] == OutboxStatus.done
    # Nothing more to ask; the provider's late webhook event moves nothing.
    assert run_once(engine, settings, now=second_poll_at + timedelta(days=1)).sent == {}
    late = send_event(api, confirmed(done, "evt-late"))
    assert late.status_code == 200, late.text
    assert late.json()["outcome"] == "already_confirmed"
    assert balance(api, payer) == (700, 0)
    assert _kinds(api).count("payment.deposited") == 1
    _reconciled(api, ops)


def test_a_withdrawal_the_bank_refuses_after_accepting_it_returns_its_money_on_a_poll(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    funded = _processing(api, payer, deposit(api, payer, 1_000))
    send_event(api, confirmed(funded, "evt-in"))
    out = _processing(api, payer, withdraw(api, payer, 400))
    assert (balance(api, payer), withdrawing(api, payer)) == ((600, 0), 400)
    SIMULATED_LEDGER.decide(_key(engine, out["id"]), ProviderOutcome.failed, "account frozen")
    assert run_once(engine, settings, now=_poll_time()).sent == {out["id"]: "failed"}
    shown = _shown(api, payer, out["id"])
    assert shown["status"] == "failed"
    assert shown["failure_reason"] == "account frozen"
    assert (balance(api, payer), withdrawing(api, payer)) == ((1_000, 0), 0)
    late = send_event(api, failed(shown, "evt-out", "account frozen"))
    assert late.json()["outcome"] == "already_failed"
    assert (balance(api, payer), withdrawing(api, payer)) == ((1_000, 0), 0)
    assert _codes(api, payer).count("withdrawal_return") == 2  # withdrawing -1, available +1
    assert _kinds(api).count("payment.failed") == 1
    _reconciled(api, ops)


def test_a_poll_the_provider_cannot_answer_keeps_the_payment_processing(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party
) -> None:
    """A bank in another process (the simulated one remembers per process) does not know the
    reference: an unknown outcome, so nothing moves and the poll is made again."""
    engine, settings = asset_runtime.engine, asset_runtime.settings
    shown = _processing(api, payer, deposit(api, payer, 300))
    with unit_of_work(engine) as s:
        row = repository.get_payment(s, shown["id"], lock=True)
        assert row is not None
        row.provider_ref = "sim-known-elsewhere"
        s.add(row)
    assert run_once(engine, settings, now=_poll_time()).sent == {shown["id"]: "pending"}
    after = _shown(api, payer, shown["id"])
    assert after["status"] == "processing"
    assert "has no payment" in after["last_error"]
    assert _outbox(engine, shown["id"])[0] == OutboxStatus.pending
    assert balance(api, payer) == (0, 0)
    _reconciled(api, ops)


@pytest.mark.parametrize("outcome", [ProviderOutcome.confirmed, ProviderOutcome.failed])
def test_a_poll_and_the_webhook_at_the_same_moment_settle_each_payment_once(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party, outcome: ProviderOutcome
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    funded = _processing(api, payer, deposit(api, payer, 5_000))
    send_event(api, confirmed(funded, "evt-funds"))
    rounds = 4
    out = [_processing(api, payer, withdraw(api, payer, 100)) for _ in range(rounds)]
    for shown in out:
        SIMULATED_LEDGER.decide(_key(engine, shown["id"]), outcome, "closed")
    event_type = f"payment.{outcome.value}"
    secret = settings.payment_webhook_secret.get_secret_value()
    when = _poll_time()

    def deliver(shown: dict[str, Any], start: threading.Barrier) -> str:
        body = confirmed(shown, f"evt-{shown['id']}") | {"type": event_type, "reason": "closed"}
        raw = json.dumps(body).encode()
        stamp = int(utc_now().timestamp())
        start.wait()
        with unit_of_work(engine) as s:
            answer = webhook(
                s, settings, settings.payment_provider, body=raw, timestamp=str(stamp),
                signature=webhook_signature(secret, stamp, raw),
            )  # fmt: skip
        return answer.outcome

    def poll(payment_id: int, start: threading.Barrier) -> None:
        start.wait()
        send(engine, SimulatedBank("deferred"), payment_id, now=when)

    outcomes: list[str] = []
    for shown in out:
        start = threading.Barrier(2)
        poller = threading.Thread(target=poll, args=(shown["id"], start))
        poller.start()
        outcomes.append(deliver(shown, start))
        poller.join()
        assert _shown(api, payer, shown["id"])["status"] == outcome.value
    assert set(outcomes) <= {outcome.value, f"already_{outcome.value}"}
    kinds = _kinds(api)
    if outcome == ProviderOutcome.confirmed:
        assert kinds.count("payment.withdrawn") == rounds
        assert _codes(api, payer).count("withdrawal") == rounds
        assert (balance(api, payer), withdrawing(api, payer)) == ((5_000 - 100 * rounds, 0), 0)
    else:
        assert kinds.count("payment.failed") == rounds
        assert _codes(api, payer).count("withdrawal_return") == 2 * rounds
        assert (balance(api, payer), withdrawing(api, payer)) == ((5_000, 0), 0)
    _reconciled(api, ops)


def test_processing_payments_from_before_the_polls_are_polled_after_the_upgrade(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party
) -> None:
    """Before revision ``payouts`` an accepted payment's outbox row was closed (and payments
    from before the outbox had none): the upgrade gives each a pending row, due at once."""
    engine, settings = asset_runtime.engine, asset_runtime.settings
    closed = _processing(api, payer, deposit(api, payer, 200))["id"]
    missing = _processing(api, payer, deposit(api, payer, 300))["id"]
    command.downgrade(alembic_config(engine), "outbox")
    assert _outbox(engine, closed)[0] == OutboxStatus.done
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM book_payment_outbox WHERE payment_id = :id"),
                     {"id": missing})  # fmt: skip
    upgrade(engine)
    for pid in (closed, missing):
        assert _outbox(engine, pid)[0] == OutboxStatus.pending
    # The rebuilt row has a key of its own; the poll asks by the provider's reference.
    assert _key(engine, missing).startswith(f"payment-{missing}-")
    for pid in (closed, missing):
        ref = _shown(api, payer, pid)["provider_ref"]
        SIMULATED_LEDGER.decide(ref.removeprefix("sim-"), ProviderOutcome.confirmed)
    assert run_once(engine, settings, now=utc_now()).sent == {
        closed: "confirmed",
        missing: "confirmed",
    }
    assert balance(api, payer) == (500, 0)
    _reconciled(api, ops)
