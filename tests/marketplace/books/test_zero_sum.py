"""The zero-sum invariant after random sequences of deposits, withdrawals, holds, releases and
refunds (hypothesis, bounded): every refusal writes nothing, and afterwards the books reconcile
(every account sums to zero, cached balances equal their transfers, nothing but clearing is
negative, held accounts equal their pending holds)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from marketplace.books import service
from marketplace.books.errors import HoldStateConflict, InsufficientFunds
from marketplace.books.service.statements import reconcile
from tests.marketplace.books.conftest import fund, new_org, withdraw

ORGS = 3
AMOUNTS = st.integers(min_value=1, max_value=5_000)
STEP = st.one_of(
    st.tuples(st.just("deposit"), st.integers(0, ORGS - 1), AMOUNTS),
    st.tuples(st.just("withdraw"), st.integers(0, ORGS - 1), AMOUNTS),
    st.tuples(st.just("hold"), st.integers(0, ORGS - 1), AMOUNTS),
    st.tuples(st.just("release"), st.integers(0, ORGS - 1), st.integers(0, 10_000)),
    st.tuples(st.just("refund"), st.integers(0, 30), st.just(0)),
)
_ids = itertools.count()


def _run(engine: Engine, steps: list[tuple[str, int, int]]) -> None:
    with Session(engine, expire_on_commit=False) as session:
        orgs = [new_org(session, f"Org {next(_ids)}") for _ in range(ORGS)]
        session.commit()
        holds: list[int] = []
        for action, who, amount in steps:
            try:
                if action == "deposit":
                    fund(session, orgs[who], amount, f"d{next(_ids)}")
                elif action == "withdraw":
                    withdraw(session, orgs[who], amount, f"w{next(_ids)}")
                elif action == "hold":
                    held = service.hold(
                        session, org_id=orgs[who], amount_minor=amount, currency="CNY",
                        reference="r", transfer_id=f"h{next(_ids)}",
                    )  # fmt: skip
                    holds.append(held.id)
                elif action == "release" and holds:
                    hold_id = holds[amount % len(holds)]
                    size = service.get_hold(session, hold_id).amount_minor
                    service.release(
                        session, hold_id=hold_id, payee_org_id=orgs[who],
                        fee_minor=amount % (size + 1), reference="r",
                    )  # fmt: skip
                elif action == "refund" and holds:
                    service.refund(session, hold_id=holds[who % len(holds)], reference="r")
                session.commit()
            except (InsufficientFunds, HoldStateConflict):
                session.rollback()
            report = reconcile(session)
            assert report.ok, (steps, report.problems)
        for org in orgs:
            got = service.balance(session, org_id=org, currency="CNY")
            assert got.available_minor >= 0
            assert got.held_minor >= 0


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=25))
def test_random_sequences_keep_the_books_at_zero(
    engine: Engine, steps: list[tuple[str, int, int]]
) -> None:
    _run(engine, steps)
