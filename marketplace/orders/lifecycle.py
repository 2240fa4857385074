"""The order lifecycle as data: its states, the events that move it, the allowed transitions and
the journal kind each transition writes.

Every change of ``Order.status`` goes through ``apply``; a (state, event) pair the table does not
hold is an ``OrderStateConflict`` (409) naming the state the order is in and the states the event
needs. A new order starts ``placed`` and writes ``order.placed`` (``INITIAL``, ``PLACED_KIND``).

    placed    ─cancel→  cancelled  (the buyer withdraws an order it has not paid)
    placed    ─pay→     paid       (the price held in escrow; the books write ``escrow.held``)
    placed    ─expire→  expired    (never paid before the payment deadline: the settlement job)
    paid      ─approve→ approved   (important data: an operator approves the order for delivery)
    paid      ─refuse→  refunded   (important data: an operator refuses; the hold is refunded)
    paid      ─deliver→ delivered  (the first download served; not for important data before
    approved  ─deliver→ delivered   its approval: the service checks ``needs_approval``)
    delivered ─accept→  accepted   (the buyer, or the job when the acceptance window ends)
    accepted  ─settle→  settled    (the hold released to the supplier, minus the exchange fee)
    paid, approved, delivered, accepted, settled ─dispute→ disputed
                                   (a party opens a dispute: the hold is frozen, or a settled
                                    order's proceeds clawed back; marketplace/disputes)
    disputed  ─release→ settled    (the final ruling executes: the supplier is paid in full)
    disputed  ─refund→  refunded   (... the buyer is refunded in full; the licence ends)
    disputed  ─refund_part→ partially_refunded (... the money split in basis points; licence ends)

Money moves in the books, in the same transaction: paying holds the price (``escrow.held``),
settling releases it (``settlement.released``), refusing refunds it (``escrow.refunded``); the
books write those entries, the order its own beside them.

A dispute moves the order to ``disputed``, where the settlement job leaves it alone; only the
execution of the dispute's final ruling moves it on (docs/disputes.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from marketplace.orders.errors import OrderStateConflict


class OrderStatus(StrEnum):
    placed = "placed"
    cancelled = "cancelled"
    paid = "paid"
    approved = "approved"
    delivered = "delivered"
    accepted = "accepted"
    settled = "settled"
    expired = "expired"
    refunded = "refunded"
    disputed = "disputed"
    partially_refunded = "partially_refunded"


class OrderEvent(StrEnum):
    cancel = "cancel"
    pay = "pay"
    expire = "expire"
    approve = "approve"
    refuse = "refuse"
    deliver = "deliver"
    accept = "accept"
    settle = "settle"
    dispute = "dispute"
    release = "release"
    refund = "refund"
    refund_part = "refund_part"


#: The state a new order starts in, and the journal kind its placement writes.
INITIAL: Final = OrderStatus.placed
PLACED_KIND: Final = "order.placed"


@dataclass(frozen=True)
class Transition:
    source: OrderStatus
    event: OrderEvent
    target: OrderStatus
    kind: str


_S = OrderStatus
_E = OrderEvent

#: The declaration: (the states the event is allowed in, event, target, journal kind).
_DECLARED: Final[tuple[tuple[tuple[OrderStatus, ...], OrderEvent, OrderStatus, str], ...]] = (
    ((_S.placed,), _E.cancel, _S.cancelled, "order.cancelled"),
    ((_S.placed,), _E.pay, _S.paid, "order.paid"),
    ((_S.placed,), _E.expire, _S.expired, "order.expired"),
    ((_S.paid,), _E.approve, _S.approved, "order.approved"),
    ((_S.paid,), _E.refuse, _S.refunded, "order.refused"),
    ((_S.paid, _S.approved), _E.deliver, _S.delivered, "order.delivered"),
    ((_S.delivered,), _E.accept, _S.accepted, "order.accepted"),
    ((_S.accepted,), _E.settle, _S.settled, "order.settled"),
    (
        (_S.paid, _S.approved, _S.delivered, _S.accepted, _S.settled),
        _E.dispute,
        _S.disputed,
        "order.disputed",
    ),
    ((_S.disputed,), _E.release, _S.settled, "order.released"),
    ((_S.disputed,), _E.refund, _S.refunded, "order.refunded"),
    ((_S.disputed,), _E.refund_part, _S.partially_refunded, "order.partially_refunded"),
)

#: The table: (state, event) → transition. Any pair not in it is refused.
TRANSITIONS: Final[dict[tuple[OrderStatus, OrderEvent], Transition]] = {
    (source, event): Transition(source, event, target, kind)
    for sources_, event, target, kind in _DECLARED
    for source in sources_
}

#: The states in which an order holds an exclusive listing (no other order of it may be placed):
#: every live one. A cancelled, expired or refunded order frees it; a settled one closes the
#: listing for good (``listings.service.close_sold``), so it need not hold it any more.
HOLDS_EXCLUSIVE: Final = frozenset(
    {_S.placed, _S.paid, _S.approved, _S.delivered, _S.accepted, _S.disputed}
)

#: The states whose orders count as the listing's revenue in the public-data report: settled
#: orders, whose money reached the supplier.
COUNTED_AS_REVENUE: Final = frozenset({OrderStatus.settled})


def allowed(state: OrderStatus | str, event: OrderEvent) -> bool:
    return (OrderStatus(state), event) in TRANSITIONS


def sources(event: OrderEvent) -> list[OrderStatus]:
    """The states ``event`` is allowed in, in the order the declaration lists them."""
    return [s for sources_, e, _, _ in _DECLARED if e == event for s in sources_]


def refusal(state: OrderStatus | str, event: OrderEvent) -> str:
    """Why ``event`` is refused in ``state``: the state the order is in, and what it needs."""
    return (
        f"cannot {event.value} an order that is {OrderStatus(state).value}; it must be "
        f"{' or '.join(sources(event))}"
    )


def require(status: OrderStatus | str, event: OrderEvent) -> Transition:
    """The transition ``event`` makes from ``status``; 409 if there is none."""
    found = TRANSITIONS.get((OrderStatus(status), event))
    if found is None:
        raise OrderStateConflict(refusal(status, event))
    return found


class Stateful(Protocol):
    """What the lifecycle moves: a row with a status (``Order``)."""

    status: str


def apply(order: Stateful, event: OrderEvent) -> Transition:
    """Move the order by ``event`` and return the transition (its ``kind`` is the journal entry
    the caller writes); 409 naming the state when the table has no such move."""
    transition = require(order.status, event)
    order.status = transition.target
    return transition


__all__ = [
    "COUNTED_AS_REVENUE",
    "HOLDS_EXCLUSIVE",
    "INITIAL",
    "PLACED_KIND",
    "TRANSITIONS",
    "OrderEvent",
    "OrderStatus",
    "Stateful",
    "Transition",
    "allowed",
    "apply",
    "refusal",
    "require",
    "sources",
]
