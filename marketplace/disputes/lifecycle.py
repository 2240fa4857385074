"""The dispute lifecycle as data: its states, the events that move it, the allowed transitions
and the journal kind each transition writes (docs/disputes.md, "Lifecycle").

Every change of ``Dispute.status`` goes through ``apply``; a (state, event) pair the table does
not hold is a ``DisputeStateConflict`` (409) naming the state the dispute is in and the states the
event needs. A new dispute starts ``open`` and writes ``dispute.opened`` (``INITIAL``,
``OPENED_KIND``); the order it is about moves to ``disputed`` in the same transaction.

    open      ─rule→     ruled      (the drawn arbitrator rules once submissions have closed)
    ruled     ─appeal→   appealed   (a party appeals within the appeal window, once)
    appealed  ─decide→   final      (two of the panel's three votes agree: the panel's ruling)
    ruled     ─execute→  executed   (the appeal window ended with no appeal: the job executes)
    final     ─execute→  executed   (the panel's ruling is final: the job executes it)

Executing moves the money in the books in the same transaction: the escrow hold is posted to the
supplier, voided to the buyer, or split in basis points, and the arbitration fees are returned
or forfeited (``fees.py``). ``executed`` is final.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from marketplace.disputes.errors import DisputeStateConflict


class DisputeStatus(StrEnum):
    open = "open"
    ruled = "ruled"
    appealed = "appealed"
    final = "final"
    executed = "executed"


class DisputeEvent(StrEnum):
    rule = "rule"
    appeal = "appeal"
    decide = "decide"
    execute = "execute"


#: The state a new dispute starts in, and the journal kind its opening writes.
INITIAL: Final = DisputeStatus.open
OPENED_KIND: Final = "dispute.opened"


@dataclass(frozen=True)
class Transition:
    source: DisputeStatus
    event: DisputeEvent
    target: DisputeStatus
    kind: str


_S = DisputeStatus
_E = DisputeEvent

#: The declaration: (the states the event is allowed in, event, target, journal kind).
_DECLARED: Final[tuple[tuple[tuple[DisputeStatus, ...], DisputeEvent, DisputeStatus, str], ...]] = (
    ((_S.open,), _E.rule, _S.ruled, "ruling.issued"),
    ((_S.ruled,), _E.appeal, _S.appealed, "dispute.appealed"),
    ((_S.appealed,), _E.decide, _S.final, "ruling.final"),
    ((_S.ruled, _S.final), _E.execute, _S.executed, "ruling.executed"),
)

#: The table: (state, event) → transition. Any pair not in it is refused.
TRANSITIONS: Final[dict[tuple[DisputeStatus, DisputeEvent], Transition]] = {
    (source, event): Transition(source, event, target, kind)
    for sources_, event, target, kind in _DECLARED
    for source in sources_
}

#: The states in which the dispute still takes evidence (until ``evidence_closes_at``).
TAKES_EVIDENCE: Final = frozenset({_S.open})


def sources(event: DisputeEvent) -> list[DisputeStatus]:
    """The states ``event`` is allowed in, in the order the declaration lists them."""
    return [s for sources_, e, _, _ in _DECLARED if e == event for s in sources_]


def require(status: DisputeStatus | str, event: DisputeEvent) -> Transition:
    """The transition ``event`` makes from ``status``; 409 if there is none."""
    found = TRANSITIONS.get((DisputeStatus(status), event))
    if found is None:
        raise DisputeStateConflict(
            f"cannot {event.value} a dispute that is {DisputeStatus(status).value}; it must be "
            f"{' or '.join(sources(event))}"
        )
    return found


class Stateful(Protocol):
    status: str


def apply(dispute: Stateful, event: DisputeEvent) -> Transition:
    """Move the dispute by ``event`` and return the transition (its ``kind`` is the journal entry
    the caller writes); 409 naming the state when the table has no such move."""
    transition = require(dispute.status, event)
    dispute.status = transition.target
    return transition
