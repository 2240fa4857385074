"""All SQL for the periods of subscription and metered orders."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.orders.lifecycle import OrderStatus
from marketplace.orders.models import Order
from marketplace.orders.period_models import OrderPeriod, OrderPlan


def add_plan(session: Session, plan: OrderPlan) -> OrderPlan:
    session.add(plan)
    session.flush()
    return plan


def plan(session: Session, order_id: int, *, lock: bool = False) -> OrderPlan | None:
    query = select(OrderPlan).where(col(OrderPlan.order_id) == order_id)
    if lock:
        query = query.with_for_update(key_share=True)
    return session.exec(query).first()


def add_period_unless_there(session: Session, period: OrderPeriod) -> OrderPeriod | None:
    """Insert ``period`` unless its (order, number) is there already (then None); a savepoint
    keeps the caller's transaction usable after the refused insert."""
    try:
        with session.begin_nested():
            session.add(period)
            session.flush()
    except IntegrityError:
        return None
    return period


def periods_of(
    session: Session, order_id: int, *, limit: int | None = None, offset: int = 0
) -> list[OrderPeriod]:
    query = select(OrderPeriod).where(col(OrderPeriod.order_id) == order_id)
    query = query.order_by(col(OrderPeriod.number)).limit(limit).offset(offset)
    return list(session.exec(query).all())


def lock_open(session: Session, order_id: int) -> list[OrderPeriod]:
    """The order's periods still due or held, locked in id order (as the job locks them: a
    period before its plan and order)."""
    query = (
        select(OrderPeriod)
        .where(
            col(OrderPeriod.order_id) == order_id,
            col(OrderPeriod.status).in_(["due", "held"]),
        )
        .order_by(col(OrderPeriod.id))
        .with_for_update(key_share=True)
    )
    return list(session.exec(query).all())


def lock_period(session: Session, order_id: int, number: int) -> OrderPeriod | None:
    """Period ``number`` of the order, locked (a period before its plan and order, as the job)."""
    query = select(OrderPeriod).where(
        col(OrderPeriod.order_id) == order_id, col(OrderPeriod.number) == number
    )
    query = query.with_for_update(key_share=True)
    return session.exec(query.execution_options(populate_existing=True)).first()


def period_at(session: Session, order_id: int, at: datetime) -> OrderPeriod | None:
    """The order's due period that ``at`` falls in, locked."""
    query = (
        select(OrderPeriod)
        .where(
            col(OrderPeriod.order_id) == order_id,
            col(OrderPeriod.status) == "due",
            col(OrderPeriod.starts_at) <= at,
            col(OrderPeriod.ends_at) > at,
        )
        .with_for_update(key_share=True)
    )
    return session.exec(query).first()


def claim_next(
    session: Session, status: str, *, due_column: str, due_by: datetime, skip: Collection[int] = ()
) -> OrderPeriod | None:
    """The oldest period in ``status`` whose ``due_column`` is at or before ``due_by``, locked
    for this transaction; PostgreSQL skips periods another runner holds (``SKIP LOCKED``),
    SQLite runs one write transaction at a time, as ``orders.repository.claim_next``. Periods
    of an important-data order still awaiting an operator's approval are left alone: nothing
    is charged or paid out for data the exchange has not cleared for delivery. Periods of a
    disputed order are left alone as well (docs/disputes.md)."""
    due = getattr(OrderPeriod, due_column)
    unapproved = select(Order.id).where(
        or_(
            col(Order.needs_approval) & (col(Order.status) == OrderStatus.paid.value),
            col(Order.status) == OrderStatus.disputed.value,  # frozen until the ruling executes
        )
    )
    query = select(OrderPeriod).where(
        col(OrderPeriod.status) == status,
        col(due) <= due_by,
        col(OrderPeriod.order_id).not_in(unapproved),
    )
    if skip:
        query = query.where(col(OrderPeriod.id).not_in(list(skip)))
    query = (
        query.order_by(col(OrderPeriod.id))
        .limit(1)
        .with_for_update(key_share=True, skip_locked=True)
    )
    return session.exec(query).first()
