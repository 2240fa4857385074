"""After payment: delivery (the first download served), acceptance (the buyer's, or the
settlement job's when the acceptance window ends), settlement (the hold released to the
supplier minus the fee fixed at payment), an operator's approval or refusal of an important
asset's order, and the expiry of an order never paid. Each step locks the order, moves it
through the lifecycle table and journals it, in the caller's transaction; money moves in the
books in the same transaction.

Acceptance settles an order paid at once at once: ``accept`` is delivered → accepted → settled
in one transaction, so an accepted order never waits for the job with its money still held. A
subscription or metered order has no hold of its own: accepting it releases nothing, its
periods settle one by one as each ends (``periods``), and it is settled after the last.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from ledger.models import as_utc, utc_now
from marketplace.books import service as books
from marketplace.listings import service as listings
from marketplace.notifications import service as notifications
from marketplace.orders import lifecycle, repository
from marketplace.orders.errors import AwaitingApproval, NoApprovalNeeded
from marketplace.orders.lifecycle import OrderEvent, OrderStatus
from marketplace.orders.models import Order
from marketplace.orders.schemas import OrderPublic
from marketplace.orders.service import periods
from marketplace.orders.service._common import (
    buyers_order,
    exchange_address,
    free_exclusive,
    journal_transition,
    lock_listing_to_close,
    locked,
    reference,
)
from marketplace.orders.service.payment import run_paid_hooks
from marketplace.orders.service.quality_checks import latest_check_seq
from marketplace.orders.service.views import order_public
from marketplace.principal import Principal
from marketplace.settings import Settings

#: States past delivery: a second delivery of the order changes nothing.
_DELIVERED = frozenset({OrderStatus.delivered, OrderStatus.accepted, OrderStatus.settled})
#: The delivery domain's journal kind for the buyer's signed receipt of a download (read from the
#: journal: orders never import delivery).
RECEIPTED_KIND = "delivery.receipted"
#: The acceptance window when an order predates the column that keeps its own (hours).
_WINDOW_H_FALLBACK = 72


def record_delivery(session: Session, *, order_id: int, now: datetime | None = None) -> None:
    """The order's first download was served: paid (or approved) → delivered, and the
    acceptance window starts. Idempotent: an order already delivered (or later) is left as it
    is, and so is a disputed one. 409 ``awaiting_approval`` for important data not approved
    yet, ``order_state`` for an order not paid. For the delivery domain, in the transaction
    that serves the download."""
    order = locked(session, order_id)
    if order.order_status in _DELIVERED:
        return
    if order.order_status == OrderStatus.disputed:
        # Disputed before its first download: the buyer holds a licence (granted at payment,
        # or at an operator's approval for important data) and may still fetch the data, as
        # evidence or to check it; the order stays disputed, its money frozen for the ruling.
        return
    if order.order_status == OrderStatus.paid and order.needs_approval:
        raise AwaitingApproval(
            f"order {order_id} is for important data: an operator must approve it before it is "
            "delivered"
        )
    transition = lifecycle.apply(order, OrderEvent.deliver)
    moment = now or utc_now()
    window_h = order.acceptance_window_h or _WINDOW_H_FALLBACK
    order.delivered_at = order.updated_at = moment
    order.accept_by = moment + timedelta(hours=window_h)
    session.add(order)
    session.flush()
    journal_transition(
        session, order, transition, order.buyer_signer,
        accept_by=order.accept_by.isoformat(), acceptance_window_h=window_h,
    )  # fmt: skip


def lock_for_delivery(session: Session, *, order_id: int) -> None:
    """Lock the order for its first download's transaction, before the delivery domain locks
    the licence and the journal head (``record_delivery`` then finds it locked)."""
    locked(session, order_id)


def accept(
    session: Session,
    settings: Settings,
    principal: Principal,
    order_id: int,
    *,
    now: datetime | None = None,
) -> OrderPublic:
    """The buyer accepts a delivered order: ``order.accepted``, then at once ``order.settled``
    with the books' ``settlement.released`` (supplier: price - fee; exchange: fee), unless it is
    a subscription or metered order (its periods settle one by one). 409
    ``order_state`` unless delivered. ``order.accepted`` cites the buyer's latest quality check
    (``quality_check_seq``), if it attached one."""
    moment = now or utc_now()
    periods.lock_open(session, order_id)  # a period before its order, as the job locks them
    order = buyers_order(session, principal, order_id, "accept")
    checked = latest_check_seq(session, order_id)  # the buyer's latest quality check, cited
    accept_order(
        session, settings, order, actor=principal.address, by="buyer", now=moment,
        quality_check_seq=checked,
    )  # fmt: skip
    return order_public(settings, order)


def accept_order(
    session: Session,
    settings: Settings,
    order: Order,
    *,
    actor: str,
    by: str,
    now: datetime,
    quality_check_seq: int | None = None,
) -> None:
    """Accept ``order`` (locked) and settle it; ``by`` says who accepted: ``buyer`` or
    ``acceptance_window_ended``. ``order.accepted`` names the buyer's latest signed receipt of
    a download (``receipt_seq``, its ``delivery.receipted`` entry; only the buyer's organisation
    can sign one) and its latest quality check (``quality_check_seq``, its
    ``order.quality_checked`` entry) when there are."""
    assert order.id is not None
    transition = lifecycle.apply(order, OrderEvent.accept)
    lock_listing_to_close(session, order)  # settling closes it: locked before the head
    order.updated_at = now
    session.add(order)
    session.flush()
    receipt_seq = repository.last_entry_seq(
        session, subject=reference(order.id), kind=RECEIPTED_KIND
    )
    cited = {} if receipt_seq is None else {"receipt_seq": receipt_seq}
    if quality_check_seq is not None:
        cited["quality_check_seq"] = quality_check_seq
    journal_transition(session, order, transition, actor, by=by, **cited)
    if periods.after_accept(session, order, actor=actor, now=now):
        return  # its money moves per period; settled once its periods are done
    settle_order(session, settings, order, now=now)


def settle_order(session: Session, settings: Settings, order: Order, *, now: datetime) -> None:
    """Release the hold to the supplier minus the fee fixed at payment (``order.settled``);
    a sold exclusive listing closes for good."""
    assert order.id is not None
    assert order.hold_id is not None
    assert order.fee_minor is not None
    actor = exchange_address(settings)
    transition = lifecycle.apply(order, OrderEvent.settle)
    released = books.release(
        session,
        hold_id=order.hold_id,
        payee_org_id=order.supplier_organization_id,
        fee_minor=order.fee_minor,
        reference=reference(order.id),
        actor=actor,
        now=now,
    )
    closes = order.exclusive_listing_id is not None
    free_exclusive(order, transition)
    order.settled_at = order.updated_at = now
    session.add(order)
    session.flush()
    journal_transition(
        session, order, transition, actor,
        hold_id=order.hold_id, released_seq=released.closed_seq,
        supplier_organization_id=order.supplier_organization_id,
    )  # fmt: skip
    if closes and listings.public(session, order.listing_id).status in _OPEN_LISTING:
        listings.close_sold(session, order.listing_id, actor=actor, order_id=order.id, now=now)


#: A listing the sale may close (the listing lifecycle's ``close`` sources).
_OPEN_LISTING = frozenset({"active", "paused"})


def approve(
    session: Session,
    settings: Settings,
    principal: Principal,
    order_id: int,
    *,
    reason: str,
    now: datetime | None = None,
) -> OrderPublic:
    """An operator approves a paid order for important data for delivery (``order.approved``
    with the reason); the licence is granted in the same transaction. The caller checked the
    operator role."""
    order = _for_approval(session, order_id)
    transition = lifecycle.apply(order, OrderEvent.approve)
    order.updated_at = now or utc_now()
    session.add(order)
    session.flush()
    journal_transition(session, order, transition, principal.address, reason=reason)
    run_paid_hooks(session, order)
    _tell_buyer(session, order, "order.approved", reason, order.updated_at)
    return order_public(settings, order)


def refuse(
    session: Session,
    settings: Settings,
    principal: Principal,
    order_id: int,
    *,
    reason: str,
    now: datetime | None = None,
) -> OrderPublic:
    """An operator refuses a paid order for important data (``order.refused`` with the
    reason): the hold is refunded to the buyer in full (``escrow.refunded``) and an exclusive
    listing is free again. A subscription or metered order holds per period: its held periods
    are refunded and the rest cancelled, never to be charged (``periods.close_on_refusal``).
    The caller checked the operator role."""
    moment = now or utc_now()
    periods.lock_open(session, order_id)  # a period before its order, as the job locks them
    order = _for_approval(session, order_id)
    assert order.id is not None
    transition = lifecycle.apply(order, OrderEvent.refuse)
    periodic = periods.close_on_refusal(
        session, order, actor=principal.address, reason=reason, now=moment
    )
    if periodic is None:
        assert order.hold_id is not None
        refunded = books.refund(
            session, hold_id=order.hold_id, reference=reference(order.id),
            actor=principal.address, now=moment,
        )  # fmt: skip
        money: dict[str, Any] = {"hold_id": order.hold_id, "refunded_seq": refunded.closed_seq}
    else:
        money = periodic
    free_exclusive(order, transition)
    order.updated_at = moment
    session.add(order)
    session.flush()
    journal_transition(session, order, transition, principal.address, reason=reason, **money)
    _tell_buyer(session, order, "order.refused", reason, moment)
    return order_public(settings, order)


def _tell_buyer(session: Session, order: Order, kind: str, reason: str, now: datetime) -> None:
    """The buyer learns an operator's decision on its order of important data, and why: it
    may download now, or its money is back."""
    assert order.id is not None
    notifications.notify(
        session,
        organization_id=order.buyer_organization_id,
        kind=kind,
        subject=f"order:{order.id}",
        payload={"order_id": order.id, "status": order.status, "reason": reason},
        now=now,
    )


def _for_approval(session: Session, order_id: int) -> Order:
    order = locked(session, order_id)
    if not order.needs_approval and order.order_status != OrderStatus.placed:
        raise NoApprovalNeeded(
            f"order {order_id} is not for important data: it needs no operator's approval"
        )
    return order


def expire_order(session: Session, settings: Settings, order: Order, *, now: datetime) -> None:
    """A placed order never paid by its deadline: ``order.expired``; an exclusive listing it
    held is free again. Nothing was held, so no money moves."""
    transition = lifecycle.apply(order, OrderEvent.expire)
    free_exclusive(order, transition)
    order.updated_at = now
    session.add(order)
    session.flush()
    journal_transition(
        session, order, transition, exchange_address(settings),
        placed_at=as_utc(order.created_at).isoformat(),
        payment_window_s=settings.order_payment_window_s,
    )  # fmt: skip
