"""What the disputes domain asks of orders (docs/disputes.md): the facts of an order a party
disputes, moving it to ``disputed`` and, when the final ruling executes, on to ``settled``,
``refunded`` or ``partially_refunded`` (a refund or a split ends the buyer's licence through
``stop_hooks``); the same of one period of a subscription or metered order (the period moves,
the order and its licence stay); and which organisations traded with a party lately (the
arbitrators' conflicts of interest). Disputes never read orders' tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from ledger.models import as_utc
from marketplace.orders import lifecycle, period_repository, repository
from marketplace.orders.errors import OrderNotFound, PeriodNotFound
from marketplace.orders.lifecycle import OrderEvent
from marketplace.orders.models import Order
from marketplace.orders.period_lifecycle import TRANSITIONS, PeriodEvent, PeriodStatus
from marketplace.orders.period_models import OrderPeriod
from marketplace.orders.service._common import (
    free_exclusive,
    journal_transition,
    lock_listing_to_close,
    locked,
)
from marketplace.orders.service.periods import (
    close_disputed_period,
    dispute_period,
    lock_to_stop,
    stop_hooks,
)
from marketplace.orders.service.views import is_party
from marketplace.principal import Principal


@dataclass(frozen=True)
class DisputedOrder:
    """An order as a dispute sees it. ``periodic``: a subscription or metered order, whose money
    moves per period. ``dispute_window_h``: its agreed terms' dispute window (hours after the
    order's or a period's settlement); None for an order placed before orders kept it."""

    id: int
    buyer_organization_id: int
    supplier_organization_id: int
    status: str
    price_minor: int
    currency: str
    hold_id: int | None
    fee_minor: int | None
    settled_at: datetime | None
    periodic: bool
    dispute_window_h: int | None


def _facts(session: Session, order: Order) -> DisputedOrder:
    assert order.id is not None
    return DisputedOrder(
        id=order.id,
        buyer_organization_id=order.buyer_organization_id,
        supplier_organization_id=order.supplier_organization_id,
        status=order.status,
        price_minor=order.price_minor,
        currency=order.currency,
        hold_id=order.hold_id,
        fee_minor=order.fee_minor,
        settled_at=None if order.settled_at is None else as_utc(order.settled_at),
        periodic=period_repository.plan(session, order.id) is not None,
        dispute_window_h=order.dispute_window_h,
    )


def party_order(session: Session, principal: Principal, order_id: int) -> DisputedOrder:
    """The order, locked, if the caller's organisation bought or supplies it; 404 otherwise
    (worded as for a missing order)."""
    order = repository.lock(session, order_id)
    org = principal.organization.id
    if order is None or org not in (order.buyer_organization_id, order.supplier_organization_id):
        raise OrderNotFound(f"no order {order_id}")
    return _facts(session, order)


def mark_disputed(
    session: Session, order_id: int, *, dispute_id: int, actor: str, now: datetime
) -> DisputedOrder:
    """The order → ``disputed`` (``order.disputed``); the lifecycle's 409 ``order_state`` from a
    state it cannot be disputed in. The settlement job leaves a disputed order alone."""
    order = locked(session, order_id)
    transition = lifecycle.apply(order, OrderEvent.dispute)
    order.updated_at = now
    session.add(order)
    session.flush()
    journal_transition(session, order, transition, actor, dispute_id=dispute_id)
    return _facts(session, order)


_CLOSING = {
    "release": OrderEvent.release,
    "refund": OrderEvent.refund,
    "split": OrderEvent.refund_part,
}


def close_dispute(
    session: Session,
    order_id: int,
    *,
    outcome: str,
    dispute_id: int,
    actor: str,
    now: datetime,
) -> None:
    """The executed ruling moves the order on: ``release`` → ``settled``, ``refund`` →
    ``refunded``, ``split`` → ``partially_refunded``. A refund or a split ends the buyer's
    licence now (``stop_hooks``). The money has moved in the books already; the caller locked
    the order and its licence before it moved (``lock_for_ruling``)."""
    order = locked(session, order_id)
    transition = lifecycle.apply(order, _CLOSING[outcome])
    free_exclusive(order, transition)
    if outcome == "release" and order.settled_at is None:
        order.settled_at = now
    order.updated_at = now
    session.add(order)
    session.flush()
    journal_transition(session, order, transition, actor, dispute_id=dispute_id)
    if outcome != "release":
        for hook in stop_hooks:
            hook(session, order_id, now)


def traded_with(
    session: Session, organization_ids: list[int], party_ids: list[int], *, since: datetime
) -> set[int]:
    """Those of ``organization_ids`` with an order (either way, any state) with one of
    ``party_ids`` placed at or after ``since``."""
    return repository.traded_with(session, organization_ids, party_ids, since=since)


def lock_for_ruling(session: Session, order_id: int) -> DisputedOrder:
    """The order's facts, for the execution of a ruling: the order locked, and what closing it
    writes (its licence, ``stop_locks``), before the execution's first journal append, as a
    download locks them (docs/architecture.md, "Lock order")."""
    order = locked(session, order_id)
    lock_to_stop(session, order_id)
    return _facts(session, order)


# --- one period of a subscription or metered order -------------------------------------------


@dataclass(frozen=True)
class DisputedPeriod:
    """A period as a dispute sees it: its money (``amount_minor`` held by ``hold_id``, of which
    ``fee_minor`` is the exchange's at settlement), when it was settled, and the seqs of its
    own journal entries so far (``period.charged``, ``period.settled``)."""

    order_id: int
    number: int
    status: str
    amount_minor: int
    fee_minor: int
    hold_id: int | None
    settled_at: datetime | None
    record_seqs: tuple[int, ...]


def _period_facts(period: OrderPeriod) -> DisputedPeriod:
    return DisputedPeriod(
        order_id=period.order_id,
        number=period.number,
        status=period.status,
        amount_minor=period.amount_minor,
        fee_minor=period.fee_minor,
        hold_id=period.hold_id,
        settled_at=None if period.settled_at is None else as_utc(period.settled_at),
        record_seqs=tuple(s for s in (period.charged_seq, period.closed_seq) if s is not None),
    )


def _lock_period(session: Session, order_id: int, number: int) -> tuple[Order, OrderPeriod]:
    """The period, its plan, its order, the exclusive listing the order's settlement may close
    and what stopping its plan writes (its licence), locked in the job's order: a period, its
    plan, then its order (docs/architecture.md, "Lock order"). 404 ``period_not_found``."""
    period = period_repository.lock_period(session, order_id, number)
    if period is None:
        raise PeriodNotFound(f"order {order_id} has no period {number}")
    period_repository.plan(session, order_id, lock=True)
    order = locked(session, order_id)
    lock_listing_to_close(session, order)
    lock_to_stop(session, order_id)
    return order, period


def party_period(
    session: Session, principal: Principal, order_id: int, number: int
) -> tuple[DisputedOrder, DisputedPeriod]:
    """Period ``number`` of the order, locked with what disputing it may write, if the caller's
    organisation bought or supplies the order: 404 ``order_not_found`` otherwise (worded as for
    a missing order), 404 ``period_not_found`` for a period the order does not have (an order
    that is not periodic has none)."""
    found = repository.get(session, order_id)
    if found is None or not is_party(principal, found):
        raise OrderNotFound(f"no order {order_id}")
    order, period = _lock_period(session, order_id, number)
    return _facts(session, order), _period_facts(period)


def period_disputable(status: str) -> bool:
    """Whether the period lifecycle lets a period in ``status`` be disputed (held, settled):
    ``mark_period_disputed`` refuses any other with 409 ``order_state``."""
    return (PeriodStatus(status), PeriodEvent.dispute) in TRANSITIONS


def mark_period_disputed(
    session: Session, order_id: int, number: int, *, dispute_id: int, actor: str, now: datetime
) -> None:
    """The period (locked by ``party_period``) → ``disputed`` (``period.disputed``); the period
    lifecycle's 409 ``order_state`` from a state it cannot be disputed in (due: nothing charged;
    refunded, waived...). The job never releases a disputed period; the plan runs on."""
    period = period_repository.lock_period(session, order_id, number)
    assert period is not None
    dispute_period(session, period, dispute_id=dispute_id, actor=actor, now=now)


def lock_period_for_ruling(
    session: Session, order_id: int, number: int
) -> tuple[DisputedOrder, DisputedPeriod]:
    """The order's and the period's facts, for the execution of a ruling, with everything
    closing the period writes locked before the execution's first journal append."""
    order, period = _lock_period(session, order_id, number)
    return _facts(session, order), _period_facts(period)


def close_period_dispute(
    session: Session,
    order_id: int,
    number: int,
    *,
    outcome: str,
    dispute_id: int,
    actor: str,
    now: datetime,
) -> None:
    """The executed ruling closes the period: ``release`` → ``settled``, ``refund`` →
    ``refunded``, ``split`` → ``partially_refunded``; the licence and the plan run on. The order
    is settled once this was its last open period and none follows."""
    period = period_repository.lock_period(session, order_id, number)
    assert period is not None
    close_disputed_period(
        session, period, outcome=outcome, dispute_id=dispute_id, actor=actor, now=now
    )
