"""The buyer cancels an order it placed and has not paid: ``order.cancelled``; an exclusive
listing it held is free again in the same transaction."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from ledger import journal
from ledger.models import utc_now
from marketplace.orders import lifecycle, repository
from marketplace.orders.errors import NotOrderBuyer, OrderNotFound
from marketplace.orders.lifecycle import OrderEvent
from marketplace.orders.schemas import OrderPublic
from marketplace.orders.service.views import is_party, order_public
from marketplace.principal import Principal
from marketplace.settings import Settings


def cancel(
    session: Session,
    settings: Settings,
    principal: Principal,
    order_id: int,
    *,
    now: datetime | None = None,
) -> OrderPublic:
    """Cancel a placed order (its buyer only: the supplier gets 403, anyone else 404). Any other
    state is a 409 naming it."""
    order = repository.lock(session, order_id)
    if order is None or not is_party(principal, order):
        raise OrderNotFound(f"no order {order_id}")
    if order.buyer_organization_id != principal.organization.id:
        raise NotOrderBuyer("only the buyer's organisation may cancel its order")
    transition = lifecycle.apply(order, OrderEvent.cancel)
    if transition.target not in lifecycle.HOLDS_EXCLUSIVE:
        order.exclusive_listing_id = None
    order.updated_at = now or utc_now()
    session.add(order)
    session.flush()
    journal.append(
        session,
        kind=transition.kind,
        subject=f"order:{order_id}",
        actor=principal.address,
        payload={
            "order_id": order_id,
            "listing_id": order.listing_id,
            "from": transition.source.value,
            "to": transition.target.value,
        },
    )
    return order_public(settings, order)
