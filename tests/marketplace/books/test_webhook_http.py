"""The payment provider's webhook: signed, taken once per event id, and the only way a
deferred payment is confirmed (a deposit becomes money, a withdrawal leaves the books) or
fails (a withdrawal's money returns)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.books import repository
from marketplace.books.models import AccountKind, TransferCode
from marketplace.books.service.accounts import Leg, account, post
from marketplace.db import unit_of_work
from marketplace.identity.signing import ZERO_ADDRESS
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import Party
from tests.marketplace.books.helpers import (
    balance,
    confirmed,
    deposit,
    failed,
    payment,
    returned,
    send_event,
    withdraw,
    withdrawing,
)


@pytest.fixture
def asset_runtime(engine: Engine, blob_dir: Path) -> Runtime:
    """The deferred simulated bank: deposits wait for its webhook event."""
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


def test_a_deferred_deposit_becomes_money_once_however_often_its_event_comes(
    api: TestClient, ops: Party, payer: Party
) -> None:
    r = deposit(api, payer, 4_200)
    assert r.json()["status"] == "pending"
    pending = payment(api, payer, r)
    assert pending["status"] == "processing"  # the provider took it, and will confirm it
    assert pending["provider_attempts"] == 1
    assert balance(api, payer) == (0, 0)
    first = send_event(api, confirmed(pending, "evt-1"))
    assert first.status_code == 200, first.text
    assert first.json() == {
        "event_id": "evt-1",
        "outcome": "confirmed",
        "payment_id": pending["id"],
    }
    assert balance(api, payer) == (4_200, 0)
    replay = send_event(api, confirmed(pending, "evt-1"))
    assert replay.status_code == 200, replay.text
    assert replay.json() == first.json()
    another = send_event(api, confirmed(pending, "evt-2"))
    assert another.json()["outcome"] == "already_confirmed"
    assert balance(api, payer) == (4_200, 0)
    assert payment(api, payer, r)["status"] == "confirmed"
    assert api.get("/books/reconcile", headers=ops.headers).json()["ok"]
    kinds = [e["kind"] for e in api.get("/ledger/entries").json()["items"]]
    assert kinds.count("payment.deposited") == 1


def test_a_withdrawal_waits_in_withdrawing_until_its_event_confirms_it(
    api: TestClient, ops: Party, payer: Party
) -> None:
    money = payment(api, payer, deposit(api, payer, 1_000))
    send_event(api, confirmed(money, "evt-in"))
    r = withdraw(api, payer, 600)
    out = payment(api, payer, r)
    assert out["status"] == "processing"
    assert balance(api, payer) == (400, 0)
    assert withdrawing(api, payer) == 600
    assert api.get("/books/reconcile", headers=ops.headers).json()["ok"]
    assert send_event(api, confirmed(out, "evt-out")).json()["outcome"] == "confirmed"
    assert balance(api, payer) == (400, 0)
    assert withdrawing(api, payer) == 0
    # A failure after the confirmation moves nothing: the money has left.
    late = send_event(api, failed(out, "evt-late"))
    assert late.json()["outcome"] == "already_confirmed"
    assert (balance(api, payer), withdrawing(api, payer)) == ((400, 0), 0)
    assert api.get("/books/reconcile", headers=ops.headers).json()["ok"]


def test_a_withdrawal_the_provider_fails_returns_its_money_once(
    api: TestClient, ops: Party, payer: Party
) -> None:
    money = payment(api, payer, deposit(api, payer, 1_000))
    send_event(api, confirmed(money, "evt-in"))
    r = withdraw(api, payer, 700)
    out = payment(api, payer, r)
    assert (balance(api, payer), withdrawing(api, payer)) == ((300, 0), 700)
    first = send_event(api, failed(out, "evt-fail", "account closed"))
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "failed"
    assert send_event(api, failed(out, "evt-fail", "account closed")).json() == first.json()
    assert send_event(api, failed(out, "evt-fail-2")).json()["outcome"] == "already_failed"
    assert send_event(api, confirmed(out, "evt-ok")).json()["outcome"] == "already_failed"
    assert (balance(api, payer), withdrawing(api, payer)) == ((1_000, 0), 0)
    shown = payment(api, payer, r)
    assert shown["status"] == "failed"
    assert shown["failure_reason"] == "account closed"
    assert api.get("/books/reconcile", headers=ops.headers).json()["ok"]
    kinds = [e["kind"] for e in api.get("/ledger/entries").json()["items"]]
    assert kinds.count("payment.failed") == 1
    assert "payment.withdrawn" not in kinds


def test_a_return_heard_of_before_the_confirmation_returns_the_money_once(
    api: TestClient, ops: Party, payer: Party
) -> None:
    """The provider's return of a payout comes while the withdrawal is still in flight (its
    confirmation was lost or comes late): the money goes back from withdrawing, once."""
    money = payment(api, payer, deposit(api, payer, 1_000))
    send_event(api, confirmed(money, "evt-in"))
    r = withdraw(api, payer, 250)
    out = payment(api, payer, r)
    assert (balance(api, payer), withdrawing(api, payer)) == ((750, 0), 250)
    assert send_event(api, returned(out, "evt-ret")).json()["outcome"] == "returned"
    assert send_event(api, confirmed(out, "evt-ok")).json()["outcome"] == "already_returned"
    assert (balance(api, payer), withdrawing(api, payer)) == ((1_000, 0), 0)
    shown = payment(api, payer, r)
    assert shown["status"] == "returned"
    assert shown["confirmed_seq"] is None
    assert shown["return_reason"] == "returned by the payee's bank"
    codes = [
        ln["code"] for ln in api.get("/books/statement", headers=payer.headers).json()["lines"]
    ]
    assert codes.count("withdrawal_return") == 2  # withdrawing -250, available +250
    assert api.get("/books/reconcile", headers=ops.headers).json()["ok"]


def test_bad_events_are_refused_and_move_nothing(api: TestClient, payer: Party) -> None:
    pending = payment(api, payer, deposit(api, payer, 900))
    event = confirmed(pending)
    cases = [
        (send_event(api, event, secret="not the secret" * 3), 401, "webhook_signature_invalid"),
        (
            send_event(api, event, timestamp=int(time.time()) - 3600),
            401,
            "webhook_signature_invalid",
        ),
        (send_event(api, {**event, "amount_minor": 901}), 422, "invalid_webhook"),
        (send_event(api, {**event, "currency": "USD"}), 422, "invalid_webhook"),
        (send_event(api, {**event, "type": "payment.refunded"}), 422, "invalid_webhook"),
        (send_event(api, {**event, "provider_ref": "sim-nothing"}), 404, "payment_not_found"),
        (send_event(api, event, body=b"[not json"), 422, "invalid_webhook"),
    ]
    for r, status, code in cases:
        assert r.status_code == status, r.text
        assert r.json()["error"] == code
    unsigned = api.post("/payments/webhook", json=event)  # no signature headers
    assert unsigned.status_code == 401, unsigned.text
    assert balance(api, payer) == (0, 0)
    # None of them used up the event id: the real event still confirms the deposit.
    assert send_event(api, event).json()["outcome"] == "confirmed"
    assert balance(api, payer) == (900, 0)


def test_a_withdrawal_recorded_before_the_outbox_is_settled_from_clearing(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party
) -> None:
    """Before migration 0021 a withdrawal left for clearing when asked for (``requested_seq``
    NULL); the migration made the pending ones ``processing``. Its confirmation moves nothing
    more; its failure returns the money from clearing."""
    money = payment(api, payer, deposit(api, payer, 1_000))
    send_event(api, confirmed(money, "evt-in"))
    old = [payment(api, payer, withdraw(api, payer, amount)) for amount in (300, 200)]
    with unit_of_work(asset_runtime.engine) as s:  # as the old code left them
        for shown in old:
            row = repository.get_payment(s, shown["id"], lock=True)
            assert row is not None
            out = account(s, AccountKind.withdrawing, "CNY", payer.organization_id)
            clearing = account(s, AccountKind.clearing, "CNY")
            post(s, [Leg(f"legacy-{row.id}", out, clearing, row.amount_minor,
                         TransferCode.withdrawal)], kind="payment.withdrawn",
                 subject=f"payment:{row.id}", actor=ZERO_ADDRESS, payload={})  # fmt: skip
            row.requested_seq = None
            s.add(row)
    assert (balance(api, payer), withdrawing(api, payer)) == ((500, 0), 0)
    assert api.get("/books/reconcile", headers=ops.headers).json()["ok"]
    assert send_event(api, confirmed(old[0], "evt-a")).json()["outcome"] == "confirmed"
    assert send_event(api, failed(old[1], "evt-b")).json()["outcome"] == "failed"
    assert (balance(api, payer), withdrawing(api, payer)) == ((700, 0), 0)
    assert api.get("/books/reconcile", headers=ops.headers).json()["ok"]
