"""The order lifecycle as data: its states, the events that move it, the allowed transitions and
the journal kind each transition writes.

Every change of ``Order.status`` goes through ``apply``; a (state, event) pair the table does not
hold is an ``OrderStateConflict`` (409) naming the state the order is in and the states the event
needs. A new order starts ``placed`` and writes ``order.placed`` (``INITIAL``, ``PLACED_KIND``).

    placed ─cancel→ cancelled      (the buyer withdraws an order it has not paid)

What exists is placement and cancellation. The settlement issue (13) extends this table, not
another: ``placed ─pay→ paid`` (escrow held), ``paid ─deliver→ delivered``, ``delivered ─accept→
accepted`` (by the buyer, or when the acceptance window ends), ``accepted ─settle→ settled``, and
``placed ─expire→ expired`` for an order never paid; disputes branch off ``delivered``. Until
then no order is ever paid, delivered, accepted, settled or expired, and none is said to be.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from marketplace.orders.errors import OrderStateConflict


class OrderStatus(StrEnum):
    placed = "placed"
    cancelled = "cancelled"


class OrderEvent(StrEnum):
    cancel = "cancel"


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
)

#: The table: (state, event) → transition. Any pair not in it is refused.
TRANSITIONS: Final[dict[tuple[OrderStatus, OrderEvent], Transition]] = {
    (source, event): Transition(source, event, target, kind)
    for sources_, event, target, kind in _DECLARED
    for source in sources_
}

#: The states in which an order holds an exclusive listing (no other order of it may be placed).
#: Cancelled orders release it; the settlement issue adds paid, delivered and accepted here.
HOLDS_EXCLUSIVE: Final = frozenset({OrderStatus.placed})

#: The states whose orders count as the listing's revenue in the public-data report: placed,
#: uncancelled orders, as no order is settled yet.
COUNTED_AS_REVENUE: Final = frozenset({OrderStatus.placed})


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
