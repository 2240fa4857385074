"""The quote lifecycle as data: its states, the events that move it, the allowed transitions
and the journal kind each transition writes.

Every change of ``Quote.status`` goes through ``apply``; a pair the table does not hold is a
``QuoteStateConflict`` (409) naming the state the quote is in and the state the event needs.

    (sent) → offered ─accept→    accepted   (the demand's owner; an order is placed)
                     ─withdraw→  withdrawn  (the supplier)
                     ─reject→    rejected   (the demand's owner turns it down)
                     ─supersede→ rejected   (another quote of the demand was accepted)
                     ─expire→    expired    (its validity ended before anyone acted)

Every state but ``offered`` is final. Time moves a quote too: once ``valid_until`` has passed,
an offered quote is *lapsed* (``lapsed``): it can never be accepted, and the service records
``expire`` (journal ``quote.expired``) the next time the quote is read or its demand is awarded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from marketplace.quotes.errors import QuoteStateConflict
from marketplace.quotes.models import Quote, QuoteStatus

#: The state a new quote starts in, and the journal kind sending it writes.
INITIAL: Final = QuoteStatus.offered
CREATED_KIND: Final = "quote.offered"


class QuoteEvent(StrEnum):
    accept = "accept"
    withdraw = "withdraw"
    reject = "reject"
    supersede = "supersede"
    expire = "expire"


@dataclass(frozen=True)
class Transition:
    source: QuoteStatus
    event: QuoteEvent
    target: QuoteStatus
    kind: str


_S = QuoteStatus
_E = QuoteEvent

#: The declaration: (the states the event is allowed in, event, target, journal kind).
_DECLARED: Final[tuple[tuple[tuple[QuoteStatus, ...], QuoteEvent, QuoteStatus, str], ...]] = (
    ((_S.offered,), _E.accept, _S.accepted, "quote.accepted"),
    ((_S.offered,), _E.withdraw, _S.withdrawn, "quote.withdrawn"),
    ((_S.offered,), _E.reject, _S.rejected, "quote.rejected"),
    ((_S.offered,), _E.supersede, _S.rejected, "quote.rejected"),
    ((_S.offered,), _E.expire, _S.expired, "quote.expired"),
)

#: The table: (state, event) → transition. Any pair not in it is refused.
TRANSITIONS: Final[dict[tuple[QuoteStatus, QuoteEvent], Transition]] = {
    (source, event): Transition(source, event, target, kind)
    for sources_, event, target, kind in _DECLARED
    for source in sources_
}

#: The states no event leaves.
FINAL: Final = frozenset(s for s in QuoteStatus if not any(src == s for src, _ in TRANSITIONS))


def allowed(state: QuoteStatus | str, event: QuoteEvent) -> bool:
    return (QuoteStatus(state), event) in TRANSITIONS


def sources(event: QuoteEvent) -> list[QuoteStatus]:
    """The states ``event`` is allowed in, in the order the declaration lists them."""
    return [s for sources_, e, _, _ in _DECLARED if e == event for s in sources_]


def refusal(state: QuoteStatus | str, event: QuoteEvent) -> str:
    """Why ``event`` is refused in ``state``: the state the quote is in, and what it needs."""
    need = " or ".join(sources(event))
    return f"cannot {event.value} a quote that is {QuoteStatus(state)}; it must be {need}"


def lapsed(quote: Quote, now: datetime) -> bool:
    """Whether an offered quote's validity has ended (it is due to be recorded as expired)."""
    return quote.status == QuoteStatus.offered and quote.valid_until <= now


def require(quote: Quote, event: QuoteEvent) -> Transition:
    """The transition ``event`` makes from the quote's state; 409 if there is none."""
    found = TRANSITIONS.get((QuoteStatus(quote.status), event))
    if found is None:
        raise QuoteStateConflict(refusal(quote.status, event))
    return found


def apply(quote: Quote, event: QuoteEvent) -> Transition:
    """Move the quote by ``event`` and return the transition (its ``kind`` is the journal entry
    the caller writes); 409 naming the quote's state if the table does not allow it."""
    found = require(quote, event)
    quote.status = found.target
    return found


__all__ = [
    "CREATED_KIND",
    "FINAL",
    "INITIAL",
    "TRANSITIONS",
    "QuoteEvent",
    "Transition",
    "allowed",
    "apply",
    "lapsed",
    "refusal",
    "require",
    "sources",
]
