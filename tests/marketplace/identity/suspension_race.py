"""Races against an organisation's suspension (the listings' and the books' suspension
lock-order tests): the suspension held once it has journaled, and what a request refused by it,
or sent after it, gets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from marketplace.identity.service import operators
from tests.marketplace.assets.helpers import Party
from tests.marketplace.lock_race import Held

REASON = "card payments reported stolen by two banks"


def suspension_journaled(monkeypatch: pytest.MonkeyPatch) -> Held:
    """The suspension, held once ``organization.suspended`` is written: it holds the
    organisation's row, its suspension (uncommitted) and the journal head."""
    return Held(
        monkeypatch, operators, "append_journal", lambda kind, *_: kind == "organization.suspended"
    )


def suspend(who: Party, ops: Party) -> Callable[[Any], Any]:
    return lambda http: http.post(
        f"/organizations/{who.organization_id}/suspend", json={"reason": REASON},
        headers=ops.headers,
    )  # fmt: skip


def seqs(api: TestClient, kind: str) -> list[int]:
    r = api.get("/ledger/entries", params={"kind": kind})
    assert r.status_code == 200, r.text
    return [int(e["seq"]) for e in r.json()["items"]]


def refused_as_suspended_buyer(refused: httpx.Response, after: httpx.Response) -> None:
    """``refused`` is what a suspended organisation's request gets: 403
    ``organization_suspended`` on PostgreSQL, where it authenticated before the suspension
    committed and waited in the sale's lock; on SQLite it waited for the write lock before its
    token was read, and is the 401 a request sent afterwards gets (the suspension revoked the
    token)."""
    if refused.status_code == 401:
        assert refused.json() == after.json(), refused.text
        assert after.json()["error"] == "token_revoked"
        return
    assert refused.status_code == 403, refused.text
    assert refused.json() == {
        "error": "organization_suspended",
        "message": "your organisation is suspended by the exchange's operators: it may not act "
        "until they reinstate it",
    }
