"""The escrow hold lifecycle as data: its states, the events that move it, the allowed
transitions and the journal kind each transition writes.

Every change of ``Hold.status`` goes through ``apply``; a (state, event) pair the table does not
hold is a ``HoldStateConflict`` (409) naming the state the hold is in and the states the event
needs. A new hold starts ``pending`` and writes ``escrow.held`` (``INITIAL``, ``HELD_KIND``).

    pending ─release→ posted   (held → payee available, minus the fee → fee revenue)
    pending ─refund→  voided   (held → the payer's available, in full)
    pending ─split→   posted   (a dispute's ruling: held → the payee's share, the exchange's
                                share, and the rest back to the payer; docs/disputes.md)

``posted`` and ``voided`` are final.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from marketplace.books.errors import HoldStateConflict


class HoldStatus(StrEnum):
    pending = "pending"
    posted = "posted"
    voided = "voided"


class HoldEvent(StrEnum):
    release = "release"
    refund = "refund"
    partial = "split"  # (``split`` would shadow ``str.split``)


#: The state a new hold starts in, and the journal kind its creation writes.
INITIAL: Final = HoldStatus.pending
HELD_KIND: Final = "escrow.held"


@dataclass(frozen=True)
class Transition:
    source: HoldStatus
    event: HoldEvent
    target: HoldStatus
    kind: str


_S = HoldStatus
_E = HoldEvent

#: The declaration: (the states the event is allowed in, event, target, journal kind).
_DECLARED: Final[tuple[tuple[tuple[HoldStatus, ...], HoldEvent, HoldStatus, str], ...]] = (
    ((_S.pending,), _E.release, _S.posted, "settlement.released"),
    ((_S.pending,), _E.refund, _S.voided, "escrow.refunded"),
    ((_S.pending,), _E.partial, _S.posted, "settlement.split"),
)

#: The table: (state, event) → transition. Any pair not in it is refused.
TRANSITIONS: Final[dict[tuple[HoldStatus, HoldEvent], Transition]] = {
    (source, event): Transition(source, event, target, kind)
    for sources_, event, target, kind in _DECLARED
    for source in sources_
}

#: States whose holds still keep money in the payer's held account.
HOLDING: Final = frozenset({HoldStatus.pending})


def allowed(state: HoldStatus | str, event: HoldEvent) -> bool:
    return (HoldStatus(state), event) in TRANSITIONS


def sources(event: HoldEvent) -> list[HoldStatus]:
    """The states ``event`` is allowed in, in the order the declaration lists them."""
    return [s for sources_, e, _, _ in _DECLARED if e == event for s in sources_]


def refusal(state: HoldStatus | str, event: HoldEvent) -> str:
    return (
        f"cannot {event.value} a hold that is {HoldStatus(state).value}; it must be "
        f"{' or '.join(sources(event))}"
    )


def require(status: HoldStatus | str, event: HoldEvent) -> Transition:
    """The transition ``event`` makes from ``status``; 409 if there is none."""
    found = TRANSITIONS.get((HoldStatus(status), event))
    if found is None:
        raise HoldStateConflict(refusal(status, event))
    return found


class Stateful(Protocol):
    status: str


def apply(hold: Stateful, event: HoldEvent) -> Transition:
    """Move the hold by ``event`` and return the transition; 409 naming the state otherwise."""
    transition = require(hold.status, event)
    hold.status = transition.target
    return transition


__all__ = [
    "HELD_KIND",
    "HOLDING",
    "INITIAL",
    "TRANSITIONS",
    "HoldEvent",
    "HoldStatus",
    "Stateful",
    "Transition",
    "allowed",
    "apply",
    "refusal",
    "require",
    "sources",
]
