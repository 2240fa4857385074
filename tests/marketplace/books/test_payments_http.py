"""Deposits, withdrawals, balances, statements and the reconciliation over HTTP, and every
refusal: each leaves the books as they were."""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.books import service as books
from marketplace.db import unit_of_work
from marketplace.runtime import Runtime
from tests.conftest import production_values, settings_for
from tests.ledger.helpers import public_text
from tests.marketplace.assets.helpers import Party, operator, party, verify
from tests.marketplace.books.helpers import (
    balance,
    deposit,
    keyed,
    payment,
    withdraw,
    withdrawing,
)
from tests.marketplace.identity.helpers import CHAIN_ID


def _reconciled(api: TestClient, ops: Party) -> None:
    r = api.get("/books/reconcile", headers=ops.headers)
    assert r.status_code == 200, r.text
    assert r.json()["ok"], r.json()["problems"]
    assert r.json()["total_minor"] == 0


def test_deposit_then_withdraw_moves_money_and_the_books_reconcile(
    api: TestClient, ops: Party, payer: Party
) -> None:
    r = deposit(api, payer, 10_000)
    assert r.status_code == 201, r.text
    # The answer is the payment as recorded; the provider is called after the commit.
    assert r.json()["status"] == "pending"
    assert r.json()["direction"] == "deposit"
    assert payment(api, payer, r)["status"] == "confirmed"
    assert balance(api, payer) == (10_000, 0)
    r = withdraw(api, payer, 2_500)
    assert r.status_code == 201, r.text
    out = payment(api, payer, r)
    assert out["status"] == "confirmed"
    assert out["requested_seq"] < out["confirmed_seq"]
    assert balance(api, payer) == (7_500, 0)
    assert withdrawing(api, payer) == 0
    _reconciled(api, ops)
    kinds = [e["kind"] for e in api.get("/ledger/entries").json()["items"]]
    assert "payment.deposited" in kinds
    assert kinds.count("payment.withdrawal_requested") == kinds.count("payment.withdrawn") == 1


def test_a_withdrawal_beyond_the_balance_is_refused_and_moves_nothing(
    api: TestClient, ops: Party, payer: Party
) -> None:
    deposit(api, payer, 1_000)
    r = withdraw(api, payer, 1_001)
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "insufficient_funds"
    assert balance(api, payer) == (1_000, 0)
    _reconciled(api, ops)


BAD_BODIES = [
    {"amount_minor": -5},
    {"amount_minor": 0},
    {"amount_minor": 2**63},
    {"amount_minor": 1.5},
    {"amount_minor": "100"},
    {"amount_minor": 100, "currency": "USD"},
    {"amount_minor": 100, "transfer_id": "has space"},
    {"amount_minor": 100, "extra": 1},
    {},
]


def test_bad_amounts_are_refused_with_a_clear_422(
    api: TestClient, ops: Party, payer: Party
) -> None:
    for path in ("/books/deposits", "/books/withdrawals"):
        for body in BAD_BODIES:
            r = api.post(path, json=body, headers=keyed(payer.headers))
            assert r.status_code == 422, (path, body, r.text)
            assert set(r.json()) >= {"error", "message"}
    assert balance(api, payer) == (0, 0)
    assert api.get("/books/statement", headers=payer.headers).json()["lines"] == []
    _reconciled(api, ops)


def test_the_unknown_currency_is_named(api: TestClient, payer: Party) -> None:
    r = deposit(api, payer, 100, currency="USD")
    assert r.json()["error"] == "unknown_currency"
    assert "CNY" in r.json()["message"]


def test_an_unverified_organisation_cannot_move_money(api: TestClient, ops: Party) -> None:
    who = party(api, "erin@new.test", "Erin New", ["buyer"])
    r = deposit(api, who, 100, key="first-top-up")
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "not_verified"
    assert balance(api, who) == (0, 0)
    verify(api, ops, who)  # the refusal was of the caller: its key is free once verified
    r = deposit(api, who, 100, key="first-top-up")
    assert r.status_code == 201, r.text
    assert "idempotent-replayed" not in r.headers


def test_a_member_who_is_not_admin_cannot_move_money(api: TestClient, payer: Party) -> None:
    invite = api.post(
        "/organizations/me/invites", headers=payer.headers, json={"membership_role": "member"}
    )
    code = invite.json()["code"]
    r = api.post(
        "/auth/signup",
        json={"email": "m@buyer.test", "password": "a long password 123", "invite_code": code},
    )
    assert r.status_code == 201, r.text
    member = Party(r.json()["access_token"], payer.organization_id, "")
    r = deposit(api, member, 100, key="top-up-7")
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "not_organization_admin"
    assert balance(api, member) == (0, 0)  # members see the balance
    r = deposit(api, payer, 100, key="top-up-7")  # the organisation's key, not spent on a refusal
    assert r.status_code == 201, r.text
    assert "idempotent-replayed" not in r.headers
    assert balance(api, payer)[0] == balance(api, member)[0] > 0


def test_a_repeated_transfer_id_returns_the_first_payment_once(
    api: TestClient, payer: Party
) -> None:
    first = deposit(api, payer, 700, transfer_id="top-up-1")
    again = deposit(api, payer, 700, transfer_id="top-up-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == payment(api, payer, first)
    assert again.json()["status"] == "confirmed"
    assert balance(api, payer) == (700, 0)
    clash = deposit(api, payer, 701, transfer_id="top-up-1")
    assert clash.status_code == 409, clash.text
    assert clash.json()["error"] == "transfer_id_reused"
    assert balance(api, payer) == (700, 0)


def test_one_transfer_id_sent_at_once_by_many_requests_pays_in_once(
    api: TestClient, payer: Party
) -> None:
    """Eight requests with the same transfer id and their own idempotency keys, at once: each
    answers the one payment (201) or, while another request is recording it, 409
    ``transfer_id_reused``; never a 500, and the money comes in once."""

    def send(i: int) -> Any:
        return deposit(api, payer, 900, key=f"racing-{i}", transfer_id="race-1")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    codes = sorted({r.status_code for r in answers})
    assert set(codes) <= {201, 409}, [r.text for r in answers]
    assert all(r.json()["error"] == "transfer_id_reused" for r in answers if r.status_code == 409)
    assert all(r.headers["retry-after"] == "1" for r in answers if r.status_code == 409)
    ids = {r.json()["id"] for r in answers if r.status_code == 201}
    assert len(ids) == 1
    assert balance(api, payer) == (900, 0)
    # Each request sent again with its own key, as the 409 says: the one payment, every time
    # (a 409 that says "send it again" is not the key's answer for good).
    again = [send(i) for i in range(8)]
    assert {(r.status_code, r.json()["id"]) for r in again} == {(201, ids.pop())}
    assert balance(api, payer) == (900, 0)


def test_transfer_ids_are_per_organisation(api: TestClient, payer: Party, other: Party) -> None:
    assert deposit(api, payer, 10, transfer_id="same").status_code == 201
    assert deposit(api, other, 20, transfer_id="same").status_code == 201
    assert balance(api, payer) == (10, 0)
    assert balance(api, other) == (20, 0)


def test_reconcile_is_for_operators(api: TestClient, payer: Party) -> None:
    r = api.get("/books/reconcile", headers=payer.headers)
    assert r.status_code == 403, r.text


def test_the_statement_lists_transfers_with_seq_and_running_balance(
    api: TestClient, payer: Party, other: Party
) -> None:
    deposit(api, payer, 1_000, transfer_id="a")
    withdraw(api, payer, 300, transfer_id="b")
    deposit(api, other, 5_000)
    r = api.get("/books/statement", headers=payer.headers)
    assert r.status_code == 200, r.text
    lines = r.json()["lines"]
    # The withdrawal leaves available for withdrawing, then withdrawing for the bank.
    assert [
        (ln["code"], ln["account"], ln["delta_minor"], ln["balance_minor"]) for ln in lines
    ] == [
        ("deposit", "available", 1_000, 1_000),
        ("withdrawal_hold", "available", -300, 700),
        ("withdrawal_hold", "withdrawing", 300, 300),
        ("withdrawal", "withdrawing", -300, 0),
    ]
    entries = {e["seq"]: e for e in api.get("/ledger/entries").json()["items"]}
    for line in lines:
        entry = entries[line["seq"]]
        assert entry["payload"]["transfers"][0]["sha256"] == line["record_sha256"]
        assert str(line["amount_minor"]) not in public_text(entry["payload"])
    r = api.get("/books/statement", params={"format": "csv"}, headers=payer.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(row["code"], row["balance_minor"]) for row in rows] == [
        ("deposit", "1000"),
        ("withdrawal_hold", "700"),
        ("withdrawal_hold", "300"),
        ("withdrawal", "0"),
    ]
    # the same in the currency, as a spreadsheet sums them (scale 2: fen to yuan)
    assert [(row["delta"], row["balance"], row["amount"]) for row in rows] == [
        ("10.00", "10.00", "10.00"),
        ("-3.00", "7.00", "3.00"),
        ("3.00", "3.00", "3.00"),
        ("-3.00", "0.00", "3.00"),
    ]
    assert (
        api.get("/books/statement", params={"format": "xml"}, headers=payer.headers).status_code
        == 422
    )


def test_money_moves_once_per_idempotency_key(api: TestClient, ops: Party, payer: Party) -> None:
    first = deposit(api, payer, 1_000, key="k-deposit-1")
    again = deposit(api, payer, 1_000, key="k-deposit-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other_body = deposit(api, payer, 2_000, key="k-deposit-1")
    assert other_body.status_code == 422, other_body.text
    assert balance(api, payer) == (1_000, 0)
    out = withdraw(api, payer, 400, key="k-out")
    assert withdraw(api, payer, 400, key="k-out").json() == out.json()
    assert balance(api, payer) == (600, 0)
    refused = withdraw(api, payer, 5_000, key="k-too-much")
    assert refused.status_code == 409
    assert withdraw(api, payer, 5_000, key="k-too-much").json() == refused.json()
    _reconciled(api, ops)


def test_a_money_request_without_an_idempotency_key_is_refused(
    api: TestClient, payer: Party
) -> None:
    for path in ("/books/deposits", "/books/withdrawals"):
        r = api.post(path, json={"amount_minor": 100}, headers=payer.headers)
        assert r.status_code == 400, r.text
        assert "Idempotency-Key" in r.json()["message"]
    assert balance(api, payer) == (0, 0)


def test_a_hold_is_seen_by_its_payer_and_payee_only(
    api: TestClient, asset_runtime: Runtime, ops: Party, payer: Party, other: Party
) -> None:
    deposit(api, payer, 1_000)
    with unit_of_work(asset_runtime.engine) as session:
        held = books.hold(
            session, org_id=payer.organization_id, amount_minor=600, currency="CNY",
            reference="order:1", transfer_id="order-1",
        )  # fmt: skip
    assert balance(api, payer) == (400, 600)
    mine = api.get(f"/books/holds/{held.id}", headers=payer.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["status"] == "pending"
    for hold_id in (held.id, held.id + 1, 2**63 - 1):
        theirs = api.get(f"/books/holds/{hold_id}", headers=other.headers)
        assert theirs.status_code == 404, theirs.text
        assert theirs.json()["error"] == "hold_not_found"
    assert api.get("/books/holds/0", headers=payer.headers).status_code == 422
    assert api.get(f"/books/holds/{2**63}", headers=payer.headers).status_code == 422
    with unit_of_work(asset_runtime.engine) as session:
        books.release(
            session, hold_id=held.id, payee_org_id=other.organization_id, fee_minor=60,
            reference="order:1",
        )  # fmt: skip
    seen = api.get(f"/books/holds/{held.id}", headers=other.headers)
    assert seen.json()["status"] == "posted"
    assert balance(api, other) == (540, 0)
    assert balance(api, payer) == (400, 0)
    assert api.get(f"/books/holds/{held.id}", headers=ops.headers).status_code == 200
    _reconciled(api, ops)


def test_in_production_the_simulated_bank_moves_no_money(engine: Engine, tmp_path: Path) -> None:
    """The built-in providers are simulated banks: in production a deposit would credit money
    that no bank moved. Money requests are refused (503) and change nothing; the rest serves."""
    settings = settings_for(engine, **production_values(blob_url=f"file://{tmp_path / 'blobs'}"))
    runtime = Runtime(settings=settings, engine=engine)
    runtime.chain_id = CHAIN_ID
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as api:
        ops = operator(api, runtime)
        payer = party(api, "pat@payer.test", "Pat Pays", ["buyer"])
        verify(api, ops, payer)
        for r in (deposit(api, payer, 10_000), withdraw(api, payer, 1)):
            assert r.status_code == 503, r.text
            assert r.json()["error"] == "payments_unavailable"
            assert "simulated" in r.json()["message"]
        assert balance(api, payer) == (0, 0)
        assert api.get("/books/payments", headers=payer.headers).json()["items"] == []
        _reconciled(api, ops)
