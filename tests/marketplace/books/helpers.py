"""Helpers for the books HTTP tests."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from fastapi.testclient import TestClient

from marketplace.books.providers import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature
from marketplace.settings import DEV_PAYMENT_WEBHOOK_SECRET
from tests.marketplace.assets.helpers import Party


def keyed(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    """``headers`` and an ``Idempotency-Key`` (a new one unless given)."""
    return {**headers, "Idempotency-Key": key or uuid.uuid4().hex}


def deposit(
    api: TestClient, who: Party, amount_minor: int, *, key: str | None = None, **body: Any
) -> Any:
    return api.post(
        "/books/deposits", json={"amount_minor": amount_minor, **body},
        headers=keyed(who.headers, key),
    )  # fmt: skip


def withdraw(
    api: TestClient, who: Party, amount_minor: int, *, key: str | None = None, **body: Any
) -> Any:
    return api.post(
        "/books/withdrawals", json={"amount_minor": amount_minor, **body},
        headers=keyed(who.headers, key),
    )  # fmt: skip


def payment(api: TestClient, who: Party, answered: Any) -> dict[str, Any]:
    """The payment a POST answered with, as it stands now (the provider was called after the
    request's commit, before its answer was sent)."""
    r = api.get(f"/books/payments/{answered.json()['id']}", headers=who.headers)
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def withdrawing(api: TestClient, who: Party) -> int:
    r = api.get("/books/balance", headers=who.headers)
    assert r.status_code == 200, r.text
    return int(r.json()["withdrawing_minor"])


def balance(api: TestClient, who: Party) -> tuple[int, int]:
    r = api.get("/books/balance", headers=who.headers)
    assert r.status_code == 200, r.text
    return r.json()["available_minor"], r.json()["held_minor"]


def send_event(
    api: TestClient,
    event: dict[str, Any],
    *,
    secret: str = DEV_PAYMENT_WEBHOOK_SECRET,
    timestamp: int | None = None,
    body: bytes | None = None,
) -> Any:
    raw = json.dumps(event).encode() if body is None else body
    moment = int(time.time()) if timestamp is None else timestamp
    return api.post(
        "/payments/webhook",
        content=raw,
        headers={
            TIMESTAMP_HEADER: str(moment),
            SIGNATURE_HEADER: webhook_signature(secret, moment, raw),
            "Content-Type": "application/json",
        },
    )


def confirmed(payment: dict[str, Any], event_id: str = "evt-1") -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "payment.confirmed",
        "provider_ref": payment["provider_ref"],
        "amount_minor": payment["amount_minor"],
        "currency": payment["currency"],
    }


def failed(payment: dict[str, Any], event_id: str, reason: str = "") -> dict[str, Any]:
    return {**confirmed(payment, event_id), "type": "payment.failed", "reason": reason}


def returned(payment: dict[str, Any], event_id: str, reason: str = "") -> dict[str, Any]:
    """The provider's event for a payout the beneficiary's bank sent back."""
    return {**confirmed(payment, event_id), "type": "payment.returned", "reason": reason}
