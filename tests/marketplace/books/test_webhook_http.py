"""The payment provider's webhook: signed, taken once per event id, and the only way a
deferred deposit becomes money."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import Party
from tests.marketplace.books.helpers import balance, confirmed, deposit, send_event, withdraw


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
    pending = deposit(api, payer, 4_200).json()
    assert pending["status"] == "pending"
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
    assert api.get("/books/reconcile", headers=ops.headers).json()["ok"]
    kinds = [e["kind"] for e in api.get("/ledger/entries").json()["items"]]
    assert kinds.count("payment.deposited") == 1


def test_a_withdrawal_leaves_at_once_and_its_event_only_confirms_it(
    api: TestClient, payer: Party
) -> None:
    money = deposit(api, payer, 1_000).json()
    send_event(api, confirmed(money, "evt-in"))
    out = withdraw(api, payer, 600).json()
    assert out["status"] == "pending"
    assert balance(api, payer) == (400, 0)
    assert send_event(api, confirmed(out, "evt-out")).json()["outcome"] == "confirmed"
    assert balance(api, payer) == (400, 0)


def test_bad_events_are_refused_and_move_nothing(api: TestClient, payer: Party) -> None:
    pending = deposit(api, payer, 900).json()
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
