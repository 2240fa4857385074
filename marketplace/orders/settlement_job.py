"""The settlement job: it accepts and settles delivered orders whose acceptance window has
ended with no dispute, and expires placed orders never paid by their deadline. Each order is
its own transaction, claimed under a row lock (``repository.claim_next``), so several runs — in
the server, in ``bourse worker`` processes, in ``bourse settle --once`` — may go at once and
each order is settled exactly once. An order whose step fails is logged, left as it was, and
tried again on the next run."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ledger.models import utc_now
from marketplace import limits
from marketplace.db import unit_of_work
from marketplace.orders import period_repository, repository
from marketplace.orders.lifecycle import OrderStatus
from marketplace.orders.models import Order
from marketplace.orders.period_lifecycle import PeriodStatus
from marketplace.orders.service import periods
from marketplace.orders.service._common import exchange_address
from marketplace.orders.service.settlement import accept_order, expire_order
from marketplace.runtime import Runtime
from marketplace.settings import Settings
from marketplace.workers import PollingWorker, attach_worker

log = logging.getLogger(__name__)

_Step = Callable[[Session, Order], None]


@dataclass
class SettlementRun:
    """What one run did: the orders it settled and expired, and those whose step failed (id →
    the error), left for the next run."""

    settled: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    # Periods of subscription and metered orders, as (order id, period number).
    periods_settled: list[tuple[int, int]] = field(default_factory=list)
    periods_charged: list[tuple[int, int]] = field(default_factory=list)
    periods_refused: list[tuple[int, int]] = field(default_factory=list)
    periods_failed: dict[int, str] = field(default_factory=dict)


def run_once(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime | None = None,
    orders_max: int = limits.settlement_orders_per_step_max,
) -> SettlementRun:
    """Settle what is due at ``now`` (at most ``orders_max`` orders of each kind)."""
    moment = now or utc_now()
    run = SettlementRun()
    actor = exchange_address(settings)

    def settle(session: Session, order: Order) -> None:
        accept_order(
            session, settings, order, actor=actor, by="acceptance_window_ended", now=moment
        )

    def expire(session: Session, order: Order) -> None:
        expire_order(session, settings, order, now=moment)

    unpaid_by = moment - timedelta(seconds=settings.order_payment_window_s)
    for status, column, due_by, step, done in (
        (OrderStatus.delivered, "accept_by", moment, settle, run.settled),
        (OrderStatus.placed, "created_at", unpaid_by, expire, run.expired),
    ):
        while len(done) < orders_max:
            claimed = _one(
                engine, run, status=status.value, column=column, due_by=due_by, step=step
            )
            if claimed is None:
                break
            done.append(claimed)
    _periods(engine, settings, run, now=moment, actor=actor, periods_max=orders_max)
    return run


def _periods(
    engine: Engine,
    settings: Settings,
    run: SettlementRun,
    *,
    now: datetime,
    actor: str,
    periods_max: int,
) -> None:
    """Settle the held periods that have ended, then charge the due ones (a subscription's next
    period is scheduled as the previous one settles, so it is charged in the same run). Each
    period is its own transaction under its row lock; a period is claimed by one runner."""
    for status, column, step in (
        (PeriodStatus.held, "settle_at", "settle"),
        (PeriodStatus.due, "charge_at", "charge"),
        (PeriodStatus.held, "settle_at", "settle"),  # metered usage held at its period's end
    ):
        for _ in range(periods_max):
            done = _one_period(engine, settings, run, status=status, column=column, step=step,
                               now=now, actor=actor)  # fmt: skip
            if done is None:
                break


def _one_period(
    engine: Engine,
    settings: Settings,
    run: SettlementRun,
    *,
    status: PeriodStatus,
    column: str,
    step: str,
    now: datetime,
    actor: str,
) -> tuple[int, int] | None:
    period_id: int | None = None
    try:
        with unit_of_work(engine) as session:
            period = period_repository.claim_next(
                session, status.value, due_column=column, due_by=now, skip=run.periods_failed
            )
            if period is None:
                return None
            period_id, key = period.id, (period.order_id, period.number)
            if step == "settle":
                periods.settle_period(session, period, actor=actor, now=now)
            else:
                periods.charge_period(session, settings, period, actor=actor, now=now)
            outcome = PeriodStatus(period.status)
    except Exception as exc:
        if period_id is None:
            raise
        run.periods_failed[period_id] = f"{type(exc).__name__}: {exc}"[:300]
        log.exception("period %s failed; it is tried again next run", period_id)
        return (0, 0)
    done = {
        PeriodStatus.settled: run.periods_settled,
        PeriodStatus.held: run.periods_charged,
        PeriodStatus.refused: run.periods_refused,
    }.get(outcome)
    if done is not None:
        done.append(key)
    return key


def _one(
    engine: Engine,
    run: SettlementRun,
    *,
    status: str,
    column: str,
    due_by: datetime,
    step: _Step,
) -> int | None:
    """Claim one due order and run ``step`` on it in its own transaction; its id, or None when
    nothing (else) is due. A failing step is rolled back and recorded in ``run.failed``."""
    while True:
        order_id: int | None = None
        try:
            with unit_of_work(engine) as session:
                order = repository.claim_next(
                    session, status, due_column=column, due_by=due_by, skip=run.failed
                )
                if order is None:
                    return None
                order_id = order.id
                step(session, order)
        except Exception as exc:
            if order_id is None:
                raise
            run.failed[order_id] = f"{type(exc).__name__}: {exc}"[:300]
            log.exception("settlement of order %s failed; it is tried again next run", order_id)
        else:
            return order_id


class SettlementWorker(PollingWorker):
    """Runs ``run_once`` every ``settlement_poll_s`` (``marketplace/workers.py``)."""

    name = "settlement"

    def __init__(self, engine: Engine, settings: Settings) -> None:
        super().__init__(settings.settlement_poll_s)
        self.engine = engine
        self.settings = settings

    def poll_once(self) -> bool:
        run = run_once(self.engine, self.settings)
        return len(run.settled) + len(run.expired) >= limits.settlement_orders_per_step_max


def attach_settlement(runtime: Runtime, *, start_worker: bool | None = None) -> None:
    """Start the settlement worker in this process when ``worker_in_process`` (or
    ``start_worker``) says so, and stop it at shutdown."""
    attach_worker(
        runtime,
        lambda: SettlementWorker(runtime.engine, runtime.settings),
        start_worker=start_worker,
    )
