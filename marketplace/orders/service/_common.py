"""What the settlement steps share: the exchange's own address (the actor of what it does by
itself), locking an order its caller may act on, and the journal entry of a transition."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from sqlmodel import Session

from ledger import journal
from marketplace.listings import service as listings
from marketplace.orders import lifecycle, repository
from marketplace.orders.errors import NotOrderBuyer, OrderNotFound
from marketplace.orders.lifecycle import Transition
from marketplace.orders.models import Order
from marketplace.orders.service.views import is_party
from marketplace.principal import Principal
from marketplace.settings import Settings


def exchange_address(settings: Settings) -> str:
    """The exchange's own address: the actor of the entries it writes by itself (the settlement
    job's acceptances, settlements and expiries)."""
    address: str = Account.from_key(settings.anchor_recorder_key.get_secret_value()).address
    return address


def reference(order_id: int) -> str:
    """What the books' transfers of an order are about."""
    return f"order:{order_id}"


def locked(session: Session, order_id: int) -> Order:
    order = repository.lock(session, order_id)
    if order is None:
        raise OrderNotFound(f"no order {order_id}")
    return order


def lock_listing_to_close(session: Session, order: Order) -> None:
    """Lock the exclusive listing ``order`` (locked) holds, if it holds one, before this
    transaction's first journal append: settling the order closes the listing, and the listing
    is locked before the journal head, as a pause locks it (docs/architecture.md, "Lock
    order")."""
    if order.exclusive_listing_id is not None:
        listings.lock(session, order.exclusive_listing_id)


def buyers_order(session: Session, principal: Principal, order_id: int, doing: str) -> Order:
    """The order, locked, if the caller's organisation bought it: the supplier gets 403, anyone
    else 404 (worded as for a missing order)."""
    order = repository.lock(session, order_id)
    if order is None or not is_party(principal, order):
        raise OrderNotFound(f"no order {order_id}")
    if order.buyer_organization_id != principal.organization.id:
        raise NotOrderBuyer(f"only the buyer's organisation may {doing} its order")
    return order


def free_exclusive(order: Order, transition: Transition) -> None:
    if transition.target not in lifecycle.HOLDS_EXCLUSIVE:
        order.exclusive_listing_id = None


def journal_transition(
    session: Session, order: Order, transition: Transition, actor: str, **extra: Any
) -> int:
    """The transition's entry (``from``, ``to`` and ``extra``); its seq."""
    assert order.id is not None
    entry = journal.append_entry(
        session,
        kind=transition.kind,
        subject=f"order:{order.id}",
        actor=actor,
        payload={
            "order_id": order.id,
            "listing_id": order.listing_id,
            "from": transition.source.value,
            "to": transition.target.value,
            **extra,
        },
    )
    return entry.seq
