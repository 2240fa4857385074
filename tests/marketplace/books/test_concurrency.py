"""Many concurrent holds and withdrawals against one balance never overdraw it (each in its own
transaction, as requests are). Runs on both databases; on PostgreSQL the account rows' locks
decide."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine
from sqlmodel import Session

from marketplace.books import service
from marketplace.books.errors import InsufficientFunds
from marketplace.books.service.statements import reconcile
from marketplace.db import unit_of_work
from tests.marketplace.books.conftest import fund, withdraw

WORKERS = 8
ATTEMPTS = 24
AMOUNT = 300
FUNDED = 2_000  # room for 6 holds of 300, not 7


def test_concurrent_holds_never_overdraw(
    engine: Engine, session: Session, orgs: Callable[[str], int]
) -> None:
    buyer = orgs("Buyer")
    fund(session, buyer, FUNDED, "dep-1")
    session.commit()

    def attempt(i: int) -> str:
        try:
            with unit_of_work(engine) as s:
                if i % 2:
                    withdraw(s, buyer, AMOUNT, f"w-{i}")
                    return "withdrawn"
                service.hold(
                    s, org_id=buyer, amount_minor=AMOUNT, currency="CNY",
                    reference=f"order:{i}", transfer_id=f"order-{i}",
                )  # fmt: skip
        except InsufficientFunds:
            return "refused"
        return "held"

    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = list(pool.map(attempt, range(ATTEMPTS)))
    passed = outcomes.count("held") + outcomes.count("withdrawn")
    assert passed == FUNDED // AMOUNT
    assert outcomes.count("refused") == ATTEMPTS - FUNDED // AMOUNT
    with Session(engine) as fresh:
        got = service.balance(fresh, org_id=buyer, currency="CNY")
        assert got.available_minor == FUNDED % AMOUNT
        assert got.held_minor == outcomes.count("held") * AMOUNT
        report = reconcile(fresh)
        assert report.ok, report.problems
