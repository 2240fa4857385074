"""The demand lifecycle as data: its states, the events that move it, the allowed transitions and
the journal kind each transition writes.

Every change of ``Demand.status`` goes through ``apply``; a pair the table does not hold is a
``DemandStateConflict`` (409) naming the state the demand is in and the state the event needs.

    (posted: demand.posted) → open ─close→   closed     (the buyer withdraws it)
                                   ─expire→  expired    (its deadline passed)
                                   ─fulfil→  fulfilled  (the buyer accepted a quote)

A demand whose deadline has passed is shown as ``expired`` at once (``effective_status``), and
nothing may close or fulfil it; the ``expire`` transition that journals ``demand.expired`` is
written by the next write that sweeps due demands (``service.expire_due``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, Protocol

from marketplace.matching.errors import DemandStateConflict


class DemandStatus(StrEnum):
    open = "open"
    closed = "closed"
    expired = "expired"
    fulfilled = "fulfilled"


class DemandEvent(StrEnum):
    close = "close"
    expire = "expire"
    fulfil = "fulfil"


#: The state a posted demand starts in, and the journal kind posting writes.
INITIAL: Final = DemandStatus.open
POSTED_KIND: Final = "demand.posted"


@dataclass(frozen=True)
class Transition:
    source: DemandStatus
    event: DemandEvent
    target: DemandStatus
    kind: str


_S = DemandStatus
_E = DemandEvent

#: The declaration: (the states the event is allowed in, event, target, journal kind).
_DECLARED: Final[tuple[tuple[tuple[DemandStatus, ...], DemandEvent, DemandStatus, str], ...]] = (
    ((_S.open,), _E.close, _S.closed, "demand.closed"),
    ((_S.open,), _E.expire, _S.expired, "demand.expired"),
    ((_S.open,), _E.fulfil, _S.fulfilled, "demand.fulfilled"),
)

#: The table: (state, event) → transition. Any pair not in it is refused.
TRANSITIONS: Final[dict[tuple[DemandStatus, DemandEvent], Transition]] = {
    (source, event): Transition(source, event, target, kind)
    for sources_, event, target, kind in _DECLARED
    for source in sources_
}

_VERBS: Final[dict[DemandEvent, str]] = {
    DemandEvent.close: "close",
    DemandEvent.expire: "expire",
    DemandEvent.fulfil: "fulfil",
}


class HasStatus(Protocol):
    status: str


def sources(event: DemandEvent) -> list[DemandStatus]:
    """The states ``event`` is allowed in, in the order the declaration lists them."""
    return [s for sources_, e, _, _ in _DECLARED if e == event for s in sources_]


def allowed(state: DemandStatus | str, event: DemandEvent) -> bool:
    return (DemandStatus(state), event) in TRANSITIONS


def refusal(state: DemandStatus | str, event: DemandEvent) -> str:
    """Why ``event`` is refused in ``state``: the state the demand is in, and what it needs."""
    need = " or ".join(sources(event))
    return f"cannot {_VERBS[event]} a demand that is {DemandStatus(state)}; it must be {need}"


def effective_status(status: DemandStatus | str, deadline: datetime, now: datetime) -> DemandStatus:
    """The state a reader sees: an open demand whose deadline has passed is expired, even
    before the sweep has journaled it."""
    assert deadline.tzinfo is not None
    assert now.tzinfo is not None
    state = DemandStatus(status)
    if state == DemandStatus.open and deadline <= now:
        return DemandStatus.expired
    return state


def apply(demand: HasStatus, event: DemandEvent) -> Transition:
    """Move the demand by ``event`` and return the transition (its ``kind`` is the journal entry
    the caller writes); 409 naming the state if the table does not allow it."""
    found = TRANSITIONS.get((DemandStatus(demand.status), event))
    if found is None:
        raise DemandStateConflict(refusal(demand.status, event))
    demand.status = found.target
    return found


__all__ = [
    "INITIAL",
    "POSTED_KIND",
    "TRANSITIONS",
    "DemandEvent",
    "DemandStatus",
    "Transition",
    "allowed",
    "apply",
    "effective_status",
    "refusal",
    "sources",
]
