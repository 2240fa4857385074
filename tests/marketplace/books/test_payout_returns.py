"""A withdrawal the provider paid out and the beneficiary's bank later sent back (a bounced
payout): the provider's signed ``payment.returned`` event puts the money back into the
organisation's available account once, journaled (``payment.returned``) and on its statement,
however often and however concurrently the event comes."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from fastapi.testclient import TestClient

from marketplace.books.providers import webhook_signature
from marketplace.books.service.payments import webhook
from marketplace.db import unit_of_work
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.books.helpers import (
    balance,
    confirmed,
    deposit,
    payment,
    returned,
    send_event,
    withdraw,
    withdrawing,
)


def _paid_out(api: TestClient, who: Party, funds_minor: int, out_minor: int) -> dict[str, Any]:
    """Deposit ``funds_minor``, withdraw ``out_minor``: both confirmed by the instant bank."""
    assert payment(api, who, deposit(api, who, funds_minor))["status"] == "confirmed"
    out = payment(api, who, withdraw(api, who, out_minor))
    assert out["status"] == "confirmed"
    return out


def _reconciled(api: TestClient, ops: Party) -> None:
    r = api.get("/books/reconcile", headers=ops.headers)
    assert r.status_code == 200, r.text
    assert r.json()["ok"], r.json()["problems"]


def _entries(api: TestClient, subject: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get("/ledger/entries", params={"subject": subject}).json()[
        "items"
    ]
    return items


def test_a_bounced_payout_returns_to_available_once_and_shows_on_the_statement(
    api: TestClient, ops: Party, payer: Party
) -> None:
    out = _paid_out(api, payer, 1_000, 600)
    assert balance(api, payer) == (400, 0)
    first = send_event(api, returned(out, "evt-bounce", "beneficiary account closed"))
    assert first.status_code == 200, first.text
    assert first.json() == {
        "event_id": "evt-bounce",
        "outcome": "returned",
        "payment_id": out["id"],
    }
    assert (balance(api, payer), withdrawing(api, payer)) == ((1_000, 0), 0)
    # The same event again answers the same; another event of the return moves nothing.
    again = send_event(api, returned(out, "evt-bounce", "beneficiary account closed"))
    assert again.json() == first.json()
    other = send_event(api, returned(out, "evt-bounce-2"))
    assert other.json()["outcome"] == "already_returned"
    late = send_event(api, confirmed(out, "evt-late-confirm"))
    assert late.json()["outcome"] == "already_returned"
    assert balance(api, payer) == (1_000, 0)

    shown = api.get(f"/books/payments/{out['id']}", headers=payer.headers).json()
    assert shown["status"] == "returned"
    assert shown["return_reason"] == "beneficiary account closed"
    assert shown["confirmed_seq"] < shown["returned_seq"]
    kinds = [e["kind"] for e in _entries(api, f"payment:{out['id']}")]
    assert kinds == ["payment.withdrawal_requested", "payment.withdrawn", "payment.returned"]
    bounce = _entries(api, f"payment:{out['id']}")[-1]
    assert bounce["seq"] == shown["returned_seq"]
    assert "amount_minor" not in json.dumps(bounce["payload"])  # a commitment, never the amount

    lines = api.get("/books/statement", headers=payer.headers).json()["lines"]
    back = [ln for ln in lines if ln["code"] == "withdrawal_bounce"]
    assert len(back) == 1
    assert (back[0]["account"], back[0]["delta_minor"], back[0]["balance_minor"]) == (
        "available",
        600,
        1_000,
    )
    assert back[0]["seq"] == shown["returned_seq"]
    assert back[0]["transfer_id"] == f"payment:{out['id']}:return"
    csv = api.get("/books/statement", params={"format": "csv"}, headers=payer.headers).text
    assert "withdrawal_bounce" in csv
    # The returned money can be spent again.
    assert payment(api, payer, withdraw(api, payer, 1_000))["status"] == "confirmed"
    assert balance(api, payer) == (0, 0)
    _reconciled(api, ops)


def test_concurrent_deliveries_of_a_return_put_the_money_back_once(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    out = _paid_out(api, payer, 2_000, 1_500)
    secret = settings.payment_webhook_secret.get_secret_value()
    deliveries = 4
    start = threading.Barrier(deliveries)
    outcomes: list[tuple[str, str]] = []
    errors: list[str] = []

    def deliver(event_id: str) -> None:
        raw = json.dumps(returned(out, event_id)).encode()
        stamp = int(time.time())
        start.wait()
        try:
            with unit_of_work(engine) as s:
                answer = webhook(
                    s, settings, settings.payment_provider, body=raw, timestamp=str(stamp),
                    signature=webhook_signature(secret, stamp, raw),
                )  # fmt: skip
            outcomes.append((event_id, answer.outcome))
        except Exception as exc:  # noqa: BLE001 -- a 409 for a duplicate event in flight is fine
            errors.append(type(exc).__name__)

    # Two deliveries of one event and two of another, all at once.
    threads = [threading.Thread(target=deliver, args=(f"evt-{i % 2}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(errors) <= {"WebhookInFlight"}
    # Each event answers alike however often it comes; one of the two moved the money.
    by_event = {event_id: {o for e, o in outcomes if e == event_id} for event_id, _ in outcomes}
    assert sorted(map(sorted, by_event.values())) in (
        [["already_returned"], ["returned"]],
        [["returned"]],  # one event's deliveries all refused as in flight (PostgreSQL)
    )
    assert balance(api, payer) == (2_000, 0)
    lines = api.get("/books/statement", headers=payer.headers).json()["lines"]
    assert [ln["code"] for ln in lines].count("withdrawal_bounce") == 1
    kinds = [e["kind"] for e in _entries(api, f"payment:{out['id']}")]
    assert kinds.count("payment.returned") == 1
    _reconciled(api, ops)


def test_a_deposit_cannot_be_returned_and_a_bad_signature_moves_nothing(
    api: TestClient, ops: Party, payer: Party
) -> None:
    money = payment(api, payer, deposit(api, payer, 500))
    refused = send_event(api, returned(money, "evt-dep"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "invalid_webhook"
    out = payment(api, payer, withdraw(api, payer, 200))
    forged = send_event(api, returned(out, "evt-forged"), secret="not the provider's" * 3)
    assert forged.status_code == 401, forged.text
    assert forged.json()["error"] == "webhook_signature_invalid"
    assert balance(api, payer) == (300, 0)
    # Neither used the event ids up.
    assert send_event(api, returned(out, "evt-forged")).json()["outcome"] == "returned"
    assert balance(api, payer) == (500, 0)
    _reconciled(api, ops)
