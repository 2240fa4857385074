"""Subscriptions and metered usage (docs/orders.md#subscriptions-and-metered-usage): each
period of a periodic order is an ``order_period`` row charged by the escrow path every order
uses — ``books.hold`` when it is charged, ``books.release`` to the supplier minus the fee when
its acceptance window (the period itself) ends — journaled ``period.*`` beside the books'
``escrow.held`` and ``settlement.released``, whose references name the period.

- A **subscription** bought for N periods is charged at the start of each period: period 1
  when the order is paid, each next one by the settlement job when the previous ends. After
  the N periods it renews one period at a time while the listing allows renewal and the buyer
  opted in. A charge the buyer cannot pay is refused with nothing held, the buyer is notified
  and the plan stops: the licence ends with the last period paid for.
- A **metered** order is charged in arrears: the usage recorded in a period (``record_usage``)
  is charged at its end, ``unit_price_minor`` a unit and at most ``cap_minor`` for the period,
  and released at once (the period was its acceptance window); a period with no usage is
  waived. Periods follow one another until the licence's duration ends.

Each step is one period in one transaction under the period's row lock; ``(order, period)`` is
unique and the holds' transfer ids are ``order-{id}-period-{n}``, so two runners never charge a
period twice. Services never commit.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc, utc_now
from marketplace.books import service as books
from marketplace.books.errors import InsufficientFunds
from marketplace.listings import service as listings
from marketplace.listings.price_models import Metered, Subscription
from marketplace.listings.schemas import ListingPublic
from marketplace.notifications import service as notifications
from marketplace.orders import fees, lifecycle, period_repository, repository
from marketplace.orders.dispute_window import window_closes_at
from marketplace.orders.errors import (
    InvalidOrder,
    NotOrderBuyer,
    NotOrderSupplier,
    OrderNotFound,
    OrderStateConflict,
)
from marketplace.orders.lifecycle import OrderEvent, OrderStatus
from marketplace.orders.models import Order
from marketplace.orders.period_lifecycle import CLOSED, PeriodEvent, PeriodStatus, apply
from marketplace.orders.period_models import OrderPeriod, OrderPlan
from marketplace.orders.schemas import PeriodPublic
from marketplace.orders.service._common import journal_transition, lock_listing_to_close, locked
from marketplace.orders.service.views import is_party
from marketplace.principal import Principal
from marketplace.settings import Settings

SUBSCRIPTION: Final = "subscription"
METERED: Final = "metered"
_MONTHS: Final = {"month": 1, "quarter": 3, "year": 12}

#: Called, in the transaction, when a plan stops because a charge was refused, with the order's
#: id and the moment its licence ends (the end of the last period paid for). The delivery
#: domain can end the licence there.
StopHook = Callable[[Session, int, datetime], None]
stop_hooks: list[StopHook] = []
#: Called with the order's id, in a transaction that may run ``stop_hooks``, after it locked the
#: order and before its first journal append: each locks the rows its stop hook writes (the
#: delivery domain, the order's licence), as a download locks the licence before the journal
#: head (docs/architecture.md, "Lock order").
StopLock = Callable[[Session, int], None]
stop_locks: list[StopLock] = []

#: Usage the exchange observes itself: each is asked, in the transaction that charges a metered
#: period, how many units of ``OBSERVED_UNITS`` the order used in [start, end). The delivery
#: domain counts the downloads it served under the order's licence.
UsageCounter = Callable[[Session, int, datetime, datetime], int]
usage_counters: list[UsageCounter] = []
#: Metered units the exchange counts; nobody reports them (the others are served outside it).
OBSERVED_UNITS: Final = frozenset({"download"})


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` ``months`` calendar months later, the day clamped to the month's last."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_reference(order_id: int, number: int) -> str:
    return f"order:{order_id}:period:{number}"


def _transfer_id(order_id: int, number: int) -> str:
    return f"order-{order_id}-period-{number}"


def _subject(order_id: int) -> str:
    return f"order:{order_id}"


# --- payment: the plan and its first period ------------------------------------------------


def start(
    session: Session,
    settings: Settings,
    order: Order,
    *,
    fee_bp: int,
    actor: str,
    now: datetime,
    listing: ListingPublic | None = None,
) -> tuple[int | None, int, int] | None:
    """For an order bought from a subscription or metered listing: write its plan and first
    period and charge what is due now (a subscription's first period; nothing for metered
    usage, paid in arrears). (hold id, amount held, fee) — or None for any other order, which
    pays its whole price at once. 409 ``insufficient_funds`` with nothing held. ``listing``: the
    order's listing as this transaction already read it, if it did."""
    assert order.id is not None
    if order.source != "listing":
        return None
    if listing is None:
        listing = listings.public(session, order.listing_id)
    model = listing.price_model
    licence_ends = now + timedelta(days=listing.terms.licence_duration_days)
    if isinstance(model, Subscription):
        plan = OrderPlan(
            order_id=order.id, kind=SUBSCRIPTION, period=model.period,
            periods_bought=order.quantity, amount_minor=model.amount_minor, fee_bp=fee_bp,
            renewal_allowed=model.auto_renew, runs_until=licence_ends, created_at=now,
        )  # fmt: skip
    elif isinstance(model, Metered):
        plan = OrderPlan(
            order_id=order.id, kind=METERED, period="month", unit=model.unit,
            unit_price_minor=model.unit_price_minor, cap_minor=model.cap_minor, fee_bp=fee_bp,
            runs_until=licence_ends, created_at=now,
        )  # fmt: skip
    else:
        return None
    period_repository.add_plan(session, plan)
    first = _schedule(session, plan, number=1, starts_at=now, now=now)
    assert first is not None
    if plan.kind == METERED:
        return None, 0, 0
    _charge(session, settings, plan, first, actor=actor, now=now, raise_short=True)
    assert first.hold_id is not None
    return first.hold_id, first.amount_minor, first.fee_minor


def periods_within_licence(period: str, licence_duration_days: int, starts_at: datetime) -> int:
    """How many of a subscription's periods (``month``, ``quarter``, ``year``), bought from
    ``starts_at``, start before a licence of ``licence_duration_days`` from then ends: the most
    one order may buy (``placement``), as the job charges none past the licence (``_next``)."""
    ends = starts_at + timedelta(days=licence_duration_days)
    count, start = 0, starts_at
    while start < ends:  # at most one step a month of the licence's duration
        count += 1
        start = add_months(start, _MONTHS[period])
    return count


def _schedule(
    session: Session, plan: OrderPlan, *, number: int, starts_at: datetime, now: datetime
) -> OrderPeriod | None:
    """Period ``number`` of the plan, from ``starts_at``; None when it exists already."""
    ends_at = add_months(starts_at, _MONTHS[plan.period])
    charge_at = starts_at if plan.kind == SUBSCRIPTION else ends_at
    amount = plan.amount_minor or 0
    row = OrderPeriod(
        order_id=plan.order_id, number=number, starts_at=starts_at, ends_at=ends_at,
        charge_at=charge_at, settle_at=ends_at,
        renewal=plan.periods_bought is not None and number > plan.periods_bought,
        amount_minor=amount, fee_minor=fees.fee_minor(amount, plan.fee_bp),
        created_at=now, updated_at=now,
    )  # fmt: skip
    return period_repository.add_period_unless_there(session, row)


def _journal(
    session: Session, plan: OrderPlan, period: OrderPeriod, kind: str, actor: str, **extra: Any
) -> int:
    entry = journal.append(
        session,
        kind=kind,
        subject=_subject(plan.order_id),
        actor=actor,
        payload={
            "order_id": plan.order_id,
            "plan": plan.kind,
            "period": period.number,
            "starts_at": as_utc(period.starts_at).isoformat(),
            "ends_at": as_utc(period.ends_at).isoformat(),
            **extra,
        },
    )
    return entry.seq


# --- the job's steps -------------------------------------------------------------------------


def _charge(
    session: Session,
    settings: Settings,
    plan: OrderPlan,
    period: OrderPeriod,
    *,
    actor: str,
    now: datetime,
    raise_short: bool = False,
) -> None:
    """Hold the period's amount (``period.charged``); refuse it when funds are short
    (``period.refused``, nothing held, the buyer notified, the plan stopped) — or, at payment
    (``raise_short``), raise so that the purchase is refused whole."""
    order = locked(session, plan.order_id)
    counted: dict[str, Any] = {}  # whose count a metered period's charge rests on
    if plan.kind == METERED:
        assert plan.unit_price_minor is not None
        assert plan.cap_minor is not None
        if plan.unit in OBSERVED_UNITS:
            period.units = _observed(session, plan, period)
            counted["usage_counted_by"] = "exchange"
        period.amount_minor = min(period.units * plan.unit_price_minor, plan.cap_minor)
        period.fee_minor = fees.fee_minor(period.amount_minor, plan.fee_bp)
        if period.amount_minor == 0:
            transition = apply(period, PeriodEvent.waive)
            period.closed_seq = _journal(session, plan, period, transition.kind, actor, **counted)
            _save(session, period, now)
            return
    try:
        held = books.hold(
            session, org_id=order.buyer_organization_id, amount_minor=period.amount_minor,
            currency=order.currency, reference=period_reference(plan.order_id, period.number),
            transfer_id=_transfer_id(plan.order_id, period.number), actor=actor,
            currencies=[settings.currency], now=now,
        )  # fmt: skip
    except InsufficientFunds as short:
        if raise_short:
            raise
        _refuse(session, plan, period, order, actor=actor, reason=str(short), now=now)
        return
    transition = apply(period, PeriodEvent.charge)
    period.hold_id = held.id
    period.charged_seq = _journal(
        session, plan, period, transition.kind, actor, hold_id=held.id, held_seq=held.held_seq,
        renewal=period.renewal, **counted,
    )  # fmt: skip
    _save(session, period, now)


def _observed(session: Session, plan: OrderPlan, period: OrderPeriod) -> int:
    """The period's usage by the exchange's own count (``usage_counters``), at its end."""
    assert usage_counters, "no usage counter is registered (marketplace.delivery registers one)"
    start, end = as_utc(period.starts_at), as_utc(period.ends_at)
    return sum(count(session, plan.order_id, start, end) for count in usage_counters)


def _refuse(
    session: Session,
    plan: OrderPlan,
    period: OrderPeriod,
    order: Order,
    *,
    actor: str,
    reason: str,
    now: datetime,
) -> None:
    transition = apply(period, PeriodEvent.refuse)
    licence_ends = period.starts_at if plan.kind == SUBSCRIPTION else period.ends_at
    period.closed_seq = _journal(
        session, plan, period, transition.kind, actor, reason=reason,
        licence_ends_at=as_utc(licence_ends).isoformat(),
    )  # fmt: skip
    _save(session, period, now)
    plan.stopped_at = now
    session.add(plan)
    session.flush()
    # Both sides learn it: the buyer loses the data, the supplier the periods it expected.
    for organization_id in (order.buyer_organization_id, order.supplier_organization_id):
        notifications.notify(
            session,
            organization_id=organization_id,
            kind="order.period_refused",
            subject=_subject(plan.order_id),
            payload={
                "order_id": plan.order_id,
                "period": period.number,
                "amount_minor": str(period.amount_minor),
                "currency": order.currency,
                "reason": reason,
                "licence_ends_at": as_utc(licence_ends).isoformat(),
            },
            now=now,
        )
    for hook in stop_hooks:
        hook(session, plan.order_id, as_utc(licence_ends))
    _finish_if_done(session, plan, order, actor=actor, now=now)


def _save(session: Session, period: OrderPeriod, now: datetime) -> None:
    period.updated_at = now
    session.add(period)
    session.flush()


def charge_period(
    session: Session, settings: Settings, period: OrderPeriod, *, actor: str, now: datetime
) -> None:
    """The job: charge a due period (locked) whose time has come; a metered period's next one
    is scheduled at once (its usage starts accruing)."""
    plan = period_repository.plan(session, period.order_id, lock=True)
    assert plan is not None
    # The last charge (or a refused one) may settle the order, closing its exclusive listing,
    # and a refused one stops the plan, ending its licence: both locked before the head.
    order = locked(session, plan.order_id)
    lock_listing_to_close(session, order)
    lock_to_stop(session, plan.order_id)
    _charge(session, settings, plan, period, actor=actor, now=now)
    if plan.kind == METERED and period.status != PeriodStatus.refused:
        _next(session, plan, period, now=now)
        order = locked(session, plan.order_id)
        _finish_if_done(session, plan, order, actor=actor, now=now)


def settle_period(session: Session, period: OrderPeriod, *, actor: str, now: datetime) -> None:
    """The job: the period (locked, held) has ended with no dispute: release its hold to the
    supplier minus the fee (``period.settled``); a subscription's next period is scheduled."""
    plan = period_repository.plan(session, period.order_id, lock=True)
    assert plan is not None
    assert period.hold_id is not None
    order = locked(session, plan.order_id)
    lock_listing_to_close(session, order)  # the last period settles the order, closing it
    lock_to_stop(session, plan.order_id)  # and the plan may stop, ending the licence
    transition = apply(period, PeriodEvent.settle)
    released = books.release(
        session, hold_id=period.hold_id, payee_org_id=order.supplier_organization_id,
        fee_minor=period.fee_minor, reference=period_reference(plan.order_id, period.number),
        actor=actor, now=now,
    )  # fmt: skip
    period.closed_seq = _journal(
        session, plan, period, transition.kind, actor, hold_id=period.hold_id,
        released_seq=released.closed_seq,
        supplier_organization_id=order.supplier_organization_id,
    )  # fmt: skip
    period.settled_at = now
    _save(session, period, now)
    if plan.kind == SUBSCRIPTION:
        _next(session, plan, period, now=now)
    _finish_if_done(session, plan, order, actor=actor, now=now)


def lock_to_stop(session: Session, order_id: int) -> None:
    """Lock what ``stop_hooks`` write (``stop_locks``: the order's licence) for a step on the
    order (locked) that may stop it, before the step's first journal append."""
    for lock in stop_locks:
        lock(session, order_id)


def _next(session: Session, plan: OrderPlan, period: OrderPeriod, *, now: datetime) -> None:
    """Schedule the period after ``period`` if the plan runs on: a subscription within the
    periods bought, or renewing (allowed by the listing, opted into by the buyer); metered
    usage. Never a period that starts when the licence's duration has ended: no period is
    charged for a month without a licence (a plan made before ``runs_until`` was kept for
    subscriptions has none)."""
    if plan.stopped_at is not None:
        return
    licence_over = plan.runs_until is not None and as_utc(period.ends_at) >= as_utc(plan.runs_until)
    if plan.kind == SUBSCRIPTION:
        assert plan.periods_bought is not None
        renewing = plan.renewal_allowed and plan.auto_renew
        if licence_over or (period.number >= plan.periods_bought and not renewing):
            for hook in stop_hooks:  # the licence ends with the last period paid for
                hook(session, plan.order_id, as_utc(period.ends_at))
            return
    elif plan.runs_until is None or licence_over:
        return
    _schedule(session, plan, number=period.number + 1, starts_at=as_utc(period.ends_at), now=now)


def _finish_if_done(
    session: Session, plan: OrderPlan, order: Order, *, actor: str, now: datetime
) -> None:
    """Every period closed and none to follow: an accepted order (or a delivered one, accepted
    here as its periods have all passed their windows) is settled; its money has moved period
    by period already."""
    periods = period_repository.periods_of(session, plan.order_id)
    if any(PeriodStatus(p.status) not in CLOSED for p in periods):
        return
    if order.order_status == OrderStatus.delivered:
        transition = lifecycle.apply(order, OrderEvent.accept)
        journal_transition(session, order, transition, actor, by="periods_closed")
    if order.order_status != OrderStatus.accepted:
        return
    transition = lifecycle.apply(order, OrderEvent.settle)
    closes = order.exclusive_listing_id is not None
    if transition.target not in lifecycle.HOLDS_EXCLUSIVE:
        order.exclusive_listing_id = None
    order.settled_at = order.updated_at = now
    session.add(order)
    session.flush()
    settled = [p for p in periods if p.status == PeriodStatus.settled]
    journal_transition(
        session, order, transition, actor, plan=plan.kind, periods=len(periods),
        periods_settled=len(settled),
    )  # fmt: skip
    # A sold exclusive listing closes for good, as settlement.settle_order does.
    if closes and listings.public(session, order.listing_id).status in _OPEN_LISTING:
        assert order.id is not None
        listings.close_sold(session, order.listing_id, actor=actor, order_id=order.id, now=now)


_OPEN_LISTING: Final = frozenset({"active", "paused"})


def after_accept(session: Session, order: Order, *, actor: str, now: datetime) -> bool:
    """For ``settlement.accept_order``: True when ``order`` is periodic (its money moves per
    period, so accepting it releases nothing); it is settled once its periods are done."""
    assert order.id is not None
    # Read, not locked: the caller holds the order, and has taken the journal head. Every step
    # that moves a period locks its plan and then this order before it changes anything, so it
    # waits for this transaction; locking the plan here, after the head, waited in a cycle with
    # one that held the plan and waited for the order (docs/architecture.md, "Lock order").
    plan = period_repository.plan(session, order.id)
    if plan is None:
        return False
    _finish_if_done(session, plan, order, actor=actor, now=now)
    return True


def lock_open(session: Session, order_id: int) -> None:
    """For a step on a periodic order that locks the order and then its plan (an operator's
    refusal, the buyer's acceptance, renewal): lock the order's open periods first, in the
    job's order (a period, then its plan, then its order), so the two never wait in a cycle."""
    if period_repository.plan(session, order_id) is not None:
        period_repository.lock_open(session, order_id)


def close_on_refusal(
    session: Session, order: Order, *, actor: str, reason: str, now: datetime
) -> dict[str, Any] | None:
    """An operator refused ``order`` (locked, its open periods locked by ``lock_open``): if it
    is periodic, stop its plan, refund each held period's hold to the buyer in full
    (``escrow.refunded``, ``period.refunded``) and cancel each due one (``period.cancelled``),
    so the job never charges or settles them. What ``order.refused`` records of it — the
    periods closed and the refunds' hold ids and seqs — or None for an order that is not
    periodic (it has a hold of its own)."""
    assert order.id is not None
    plan = period_repository.plan(session, order.id, lock=True)
    if plan is None:
        return None
    plan.stopped_at = now
    session.add(plan)
    session.flush()
    closed: list[int] = []
    refunds: list[dict[str, int]] = []
    for period in period_repository.lock_open(session, order.id):
        if period.status == PeriodStatus.held:
            assert period.hold_id is not None
            refunded = books.refund(
                session, hold_id=period.hold_id,
                reference=period_reference(order.id, period.number), actor=actor, now=now,
            )  # fmt: skip
            transition = apply(period, PeriodEvent.refund)
            extra: dict[str, Any] = {"hold_id": period.hold_id, "refunded_seq": refunded.closed_seq}
            refunds.append(extra)
        else:
            transition = apply(period, PeriodEvent.cancel)
            extra = {}
        period.closed_seq = _journal(
            session, plan, period, transition.kind, actor, reason=reason, **extra
        )
        _save(session, period, now)
        closed.append(period.number)
    return {"plan": plan.kind, "periods_closed": closed, "refunds": refunds}


# --- a dispute of one period (docs/disputes.md, "Disputes of one period") ---------------------

_RULED: Final = {
    "release": PeriodEvent.release,
    "refund": PeriodEvent.refund,
    "split": PeriodEvent.refund_part,
}


def dispute_period(
    session: Session, period: OrderPeriod, *, dispute_id: int, actor: str, now: datetime
) -> None:
    """A party disputed the period (locked, with its plan, its order and what stopping the plan
    writes: ``disputes.party_period``): ``held`` or ``settled`` → ``disputed``
    (``period.disputed``); the job never claims a disputed period. The plan runs on: a held
    subscription period's successor is scheduled now, as its settlement would have."""
    plan = period_repository.plan(session, period.order_id)
    assert plan is not None
    held = period.status == PeriodStatus.held
    transition = apply(period, PeriodEvent.dispute)
    _journal(
        session, plan, period, transition.kind, actor, dispute_id=dispute_id, clawback=not held
    )
    _save(session, period, now)
    if held and plan.kind == SUBSCRIPTION:
        _next(session, plan, period, now=now)


def close_disputed_period(
    session: Session,
    period: OrderPeriod,
    *,
    outcome: str,
    dispute_id: int,
    actor: str,
    now: datetime,
) -> None:
    """The executed ruling closes the period (locked, with its plan, its order, the listing its
    order's settlement may close and its licence: ``disputes.lock_period_for_ruling``):
    ``release`` → ``settled``, ``refund`` → ``refunded``, ``split`` → ``partially_refunded``.
    The money has moved in the books already. The licence and the plan are left as they are: the
    ruling is about this period's money. The order is settled if this was its last open period."""
    plan = period_repository.plan(session, period.order_id)
    assert plan is not None
    transition = apply(period, _RULED[outcome])
    period.closed_seq = _journal(
        session, plan, period, transition.kind, actor, dispute_id=dispute_id
    )
    if outcome == "release" and period.settled_at is None:
        period.settled_at = now
    _save(session, period, now)
    _finish_if_done(session, plan, locked(session, plan.order_id), actor=actor, now=now)


# --- usage and renewal -------------------------------------------------------------------------


def record_usage(
    session: Session, *, order_id: int, units: int, actor: str, now: datetime | None = None
) -> PeriodPublic:
    """Count ``units`` rows or API calls served under a metered order into the period ``now``
    falls in (``usage.recorded``); charged at the period's end. 409 ``order_state`` when the
    order is not metered or has no open period now; 422 for units outside 1 .. 2**63-1."""
    moment = now or utc_now()
    if isinstance(units, bool) or not 1 <= units <= 2**63 - 1:
        raise InvalidOrder("units lie between 1 and 2**63-1")
    plan = period_repository.plan(session, order_id)
    if plan is None or plan.kind != METERED:
        raise lifecycle_conflict(f"order {order_id} is not metered: it records no usage")
    if plan.unit in OBSERVED_UNITS:
        raise lifecycle_conflict(
            f"order {order_id} is metered per {plan.unit}: the exchange counts the {plan.unit}s "
            "it serves; nobody reports them"
        )
    period = period_repository.period_at(session, order_id, moment)
    if period is None:
        raise lifecycle_conflict(f"order {order_id} has no period open at {moment.isoformat()}")
    if period.units + units > 2**63 - 1:
        raise InvalidOrder("this period's usage would pass 2**63-1 units")
    period.units += units
    _save(session, period, moment)
    # No units in the public entry: with the listing's public unit price they are the price.
    _journal(session, plan, period, "usage.recorded", actor)
    return period_public(period)


def report_usage(
    session: Session,
    principal: Principal,
    *,
    order_id: int,
    units: int,
    now: datetime | None = None,
) -> PeriodPublic:
    """The supplier reports usage it served under its metered order (403 for the buyer, 404 for
    anyone else). The order is read, not locked: the job locks a period before its order."""
    order = repository.get(session, order_id)
    if order is None or not is_party(principal, order):
        raise OrderNotFound(f"no order {order_id}")
    if order.supplier_organization_id != principal.organization.id:
        raise NotOrderSupplier("only the supplier's organisation reports usage of its order")
    return record_usage(session, order_id=order_id, units=units, actor=principal.address, now=now)


def set_auto_renew(
    session: Session, settings: Settings, principal: Principal, *, order_id: int, auto_renew: bool
) -> list[PeriodPublic]:
    """The buyer opts in to (or out of) renewing its subscription after the periods bought.
    409 ``order_state`` when the order is no subscription or its listing does not renew."""
    lock_open(session, order_id)  # a period, then its plan, then its order, as the job locks them
    plan = period_repository.plan(session, order_id, lock=True)
    order = locked(session, order_id)
    if not is_party(principal, order):
        raise OrderNotFound(f"no order {order_id}")
    if order.buyer_organization_id != principal.organization.id:
        raise NotOrderBuyer("only the buyer's organisation may renew its order")
    if plan is None or plan.kind != SUBSCRIPTION:
        raise lifecycle_conflict(f"order {order_id} is not a subscription")
    if auto_renew and not plan.renewal_allowed:
        raise lifecycle_conflict("this listing's subscription does not renew automatically")
    plan.auto_renew = auto_renew
    session.add(plan)
    session.flush()
    journal.append(
        session, kind="subscription.renewal_set", subject=_subject(order_id),
        actor=principal.address, payload={"order_id": order_id, "auto_renew": auto_renew},
    )  # fmt: skip
    return periods_public(session, settings, order)


def lifecycle_conflict(message: str) -> OrderStateConflict:
    return OrderStateConflict(message)


# --- reads --------------------------------------------------------------------------------------


def period_public(
    period: OrderPeriod, settings: Settings | None = None, order: Order | None = None
) -> PeriodPublic:
    """The period as the API shows it; a settled one with the end of its dispute window
    (``window_closes_at``, which ``open_dispute`` refuses at), from its order's window (and
    ``settings`` for an order placed before orders kept one). A period read without its order is
    one not settled (usage is recorded into the open one)."""
    settled_at = None if period.settled_at is None else as_utc(period.settled_at)
    closes_at = None
    if period.status == PeriodStatus.settled:
        assert settled_at is not None
        assert settings is not None
        assert order is not None
        assert order.id == period.order_id
        closes_at = window_closes_at(settings, order.dispute_window_h, settled_at)
    return PeriodPublic(
        number=period.number, status=period.status, starts_at=as_utc(period.starts_at),
        ends_at=as_utc(period.ends_at), charge_at=as_utc(period.charge_at),
        renewal=period.renewal, units=period.units, amount_minor=period.amount_minor,
        fee_minor=period.fee_minor, hold_id=period.hold_id, charged_seq=period.charged_seq,
        closed_seq=period.closed_seq,
        settled_at=settled_at, dispute_closes_at=closes_at,
    )  # fmt: skip


def periods_public(session: Session, settings: Settings, order: Order) -> list[PeriodPublic]:
    assert order.id is not None
    rows = period_repository.periods_of(session, order.id)
    return [period_public(p, settings, order) for p in rows]


def order_periods(
    session: Session,
    settings: Settings,
    principal: Principal,
    order_id: int,
    *,
    limit: int,
    offset: int,
) -> list[PeriodPublic]:
    """A page of the periods of an order, to its buyer and supplier (404 to anyone else)."""
    order = repository.get(session, order_id)
    if order is None or not is_party(principal, order):
        raise OrderNotFound(f"no order {order_id}")
    rows = period_repository.periods_of(session, order_id, limit=limit, offset=offset)
    return [period_public(p, settings, order) for p in rows]
