"""Paying an order: the price moves from the buyer's available money to its held account (an
escrow hold in the books, ``escrow.held``) and the order is ``paid`` (``order.paid``), in one
transaction. The exchange fee is fixed here, from the asset's category; an important asset's
order is marked for an operator's approval before delivery. When the order may be delivered
(now, or at that approval) ``paid_hooks`` run in the same transaction: delivery grants the
licence there.

``place_and_pay`` places and pays in one transaction, so a buyer that cannot pay leaves no
order behind (and an exclusive listing is never held by an unpaid order of a buyer who could
not pay)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc, utc_now
from marketplace.assets import service as assets
from marketplace.assets.service import SigningContext
from marketplace.books import service as books
from marketplace.listings.schemas import ListingPublic
from marketplace.orders import fees, lifecycle, repository
from marketplace.orders.errors import PaymentOverdue
from marketplace.orders.lifecycle import OrderEvent
from marketplace.orders.models import Order
from marketplace.orders.schemas import OrderPublic
from marketplace.orders.service import periods
from marketplace.orders.service._common import (
    buyers_order,
    journal_transition,
    reference,
)
from marketplace.orders.service.placement import placed_order
from marketplace.orders.service.views import OrderView, order_public, order_view
from marketplace.principal import Principal
from marketplace.settings import Settings

#: The listing restriction important data carries (docs/assets.md#classification-rules).
APPROVAL_RESTRICTION = "operator_approval_per_order"

#: Called, in the transaction, when an order may be delivered: when it is paid, or for
#: important data when an operator approves it. The delivery domain grants the licence here.
PaidHook = Callable[[Session, OrderView], None]
paid_hooks: list[PaidHook] = []


def run_paid_hooks(session: Session, order: Order, listing: ListingPublic | None = None) -> None:
    """``listing``: the order's listing as this transaction already read it, if it did."""
    if not paid_hooks:
        return
    view = order_view(session, order, listing)
    for hook in paid_hooks:
        hook(session, view)


def payment_deadline(order: Order, settings: Settings) -> datetime:
    return as_utc(order.created_at) + timedelta(seconds=settings.order_payment_window_s)


def pay(
    session: Session,
    settings: Settings,
    principal: Principal,
    order_id: int,
    *,
    now: datetime | None = None,
) -> OrderPublic:
    """Pay a placed order (its buyer): 409 ``insufficient_funds`` with nothing held when the
    buyer's available money is short, 409 ``order_state`` unless the order is placed, 409
    ``payment_overdue`` past the payment deadline."""
    order = buyers_order(session, principal, order_id, "pay")
    pay_order(session, settings, order, actor=principal.address, now=now or utc_now())
    return order_public(settings, order)


def pay_order(
    session: Session,
    settings: Settings,
    order: Order,
    *,
    actor: str,
    now: datetime,
    listing: ListingPublic | None = None,
) -> None:
    """Hold the price and mark ``order`` (locked or just inserted) paid; see ``pay``.
    ``listing``: the order's listing as this transaction already read it (``place_and_pay``
    priced the order from it), so that it is read and converted once."""
    assert order.id is not None
    transition = lifecycle.require(order.status, OrderEvent.pay)
    if now > payment_deadline(order, settings):
        raise PaymentOverdue(
            f"order {order.id} was not paid within {settings.order_payment_window_s} s of being "
            "placed; it expires: place a new order"
        )
    asset = assets.assets_by_ids(session, [order.asset_id])[order.asset_id]
    rate = fees.fee_bp(asset.theme, settings.exchange_fee_bp, settings.exchange_fee_bp_by_category)
    fee = fees.fee_minor(order.price_minor, rate)
    # A subscription or metered order is charged per period (service/periods.py): its first
    # period's charge stands for the hold here, and the order itself holds none.
    periodic = periods.start(
        session, settings, order, fee_bp=rate, actor=actor, now=now, listing=listing
    )
    if periodic is None:
        held = books.hold(
            session,
            org_id=order.buyer_organization_id,
            amount_minor=order.price_minor,
            currency=order.currency,
            reference=reference(order.id),
            transfer_id=f"order-{order.id}-pay",
            actor=actor,
            currencies=[settings.currency],
            now=now,
        )  # 409 insufficient_funds: the caller's transaction rolls back, nothing is held
        hold_id = held.id
    else:
        period_hold_id, _, fee = periodic
        hold_id = None
    assert order.status == transition.source  # unchanged since it was required above
    restrictions = assets.listing_restrictions(asset)
    repository.write_columns(
        session,
        order,
        status=transition.target.value,
        hold_id=hold_id,
        fee_bp=rate,
        fee_minor=fee,
        needs_approval=APPROVAL_RESTRICTION in restrictions,
        paid_at=now,
        updated_at=now,
    )  # one UPDATE; the row object the session holds gets the values as written
    journal_transition(
        session, order, transition, actor,
        hold_id=hold_id if periodic is None else period_hold_id,
        needs_approval=order.needs_approval,
        **({} if periodic is None else {"charged_per_period": True}),
    )  # fmt: skip
    if not order.needs_approval:
        run_paid_hooks(session, order, listing)


def place_and_pay(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    listing_id: int,
    purpose: str,
    quantity: int | None = None,
    signature: str | None = None,
    nonce: int | None = None,
    deadline: int | None = None,
    ctx: SigningContext,
    now: datetime | None = None,
) -> OrderPublic:
    """Place an order for a listing and pay it, in the caller's one transaction: every refusal
    of ``place`` or ``pay`` (409 ``insufficient_funds`` among them) leaves no order and nothing
    held once the caller rolls back."""
    moment = now or utc_now()
    # Its journal entries (placed, held, paid, and the licence's) are written together at the
    # end: one head move and one insert (journal.batched); each row is written with its
    # entry's seq, and the placed entry is held in the session for those that read it.
    with journal.batched(session):
        order, listing = placed_order(
            session, settings, principal, listing_id=listing_id, purpose=purpose,
            quantity=quantity, signature=signature, nonce=nonce, deadline=deadline, ctx=ctx,
            now=moment,
        )  # fmt: skip
        pay_order(session, settings, order, actor=principal.address, now=moment, listing=listing)
    return order_public(settings, order)
