"""Money for the order tests: fund an organisation (a deposit straight through the books'
postings, as the books' own tests do), read balances and the exchange's fee revenue, and
reconcile the books."""

from __future__ import annotations

import secrets

from sqlalchemy.engine import Engine
from sqlmodel import Session

from marketplace.books import service as books
from marketplace.books.models import AccountKind
from marketplace.books.service.accounts import account
from marketplace.books.service.statements import reconcile
from marketplace.db import unit_of_work
from marketplace.orders import service as orders
from tests.marketplace.books.conftest import fund as _fund


def fund(engine: Engine, org_id: int, amount_minor: int) -> None:
    with unit_of_work(engine) as session:
        _fund(session, org_id, amount_minor, f"test-deposit-{secrets.token_hex(6)}")


def balance(engine: Engine, org_id: int) -> tuple[int, int]:
    """(available, held) in CNY."""
    with Session(engine) as session:
        found = books.balance(session, org_id=org_id, currency="CNY")
        return found.available_minor, found.held_minor


def fee_revenue(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return account(session, AccountKind.fee_revenue, "CNY").balance_minor


def reconciled(engine: Engine) -> bool:
    with Session(engine) as session:
        found = reconcile(session)
        assert found.ok, found.problems
        assert found.total_minor == 0
        return True


def deliver(engine: Engine, order_id: int) -> None:
    """What the delivery domain does once the first download is served."""
    with unit_of_work(engine) as session:
        orders.record_delivery(session, order_id=order_id)
