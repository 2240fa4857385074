"""The listing lifecycle as data: its states, the events that move it, the allowed transitions and
the journal kind each transition writes.

Every change of ``Listing.status`` goes through ``apply``; a pair the table does not hold is a
``ListingStateConflict`` (409) naming the state the listing is in and the states the event needs.

    (created) → active ─pause→ paused ─resume→ active
    active | paused ─withdraw→ withdrawn      (by the supplier, for good)
    active | paused ─close→ closed            (an exclusive licence was sold)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from marketplace.listings.errors import ListingStateConflict
from marketplace.listings.models import Listing, ListingStatus

#: The state a new listing starts in, and the journal kind its creation writes.
INITIAL: Final = ListingStatus.active
CREATED_KIND: Final = "listing.created"


class ListingEvent(StrEnum):
    pause = "pause"
    resume = "resume"
    withdraw = "withdraw"
    close = "close"


@dataclass(frozen=True)
class Transition:
    source: ListingStatus
    event: ListingEvent
    target: ListingStatus
    kind: str


_S = ListingStatus
_E = ListingEvent
_OPEN: Final = (_S.active, _S.paused)

#: The declaration: (the states the event is allowed in, event, target, journal kind).
_DECLARED: Final[tuple[tuple[tuple[ListingStatus, ...], ListingEvent, ListingStatus, str], ...]] = (
    ((_S.active,), _E.pause, _S.paused, "listing.paused"),
    ((_S.paused,), _E.resume, _S.active, "listing.resumed"),
    (_OPEN, _E.withdraw, _S.withdrawn, "listing.withdrawn"),
    (_OPEN, _E.close, _S.closed, "listing.closed"),
)

#: The table: (state, event) → transition. Any pair not in it is refused.
TRANSITIONS: Final[dict[tuple[ListingStatus, ListingEvent], Transition]] = {
    (source, event): Transition(source, event, target, kind)
    for sources_, event, target, kind in _DECLARED
    for source in sources_
}

#: The states in which a listing still counts against the asset (shown to its supplier, may be
#: resumed): active and paused.
OPEN: Final = frozenset(_OPEN)


def sources(event: ListingEvent) -> list[ListingStatus]:
    """The states ``event`` is allowed in, in the order the declaration lists them."""
    return [s for sources_, e, _, _ in _DECLARED if e == event for s in sources_]


def refusal(state: ListingStatus | str, event: ListingEvent) -> str:
    """Why ``event`` is refused in ``state``: the state the listing is in, and what it needs."""
    return (
        f"cannot {event.value} a listing that is {ListingStatus(state)}; "
        f"it must be {' or '.join(sources(event))}"
    )


def require(listing: Listing, event: ListingEvent) -> Transition:
    """The transition ``event`` makes from the listing's state; 409 if there is none."""
    found = TRANSITIONS.get((ListingStatus(listing.status), event))
    if found is None:
        raise ListingStateConflict(refusal(listing.status, event))
    return found


def apply(listing: Listing, event: ListingEvent) -> Transition:
    """Move the listing by ``event`` and return the transition (its ``kind`` is the journal
    entry the caller writes)."""
    transition = require(listing, event)
    listing.status = transition.target
    return transition


__all__ = [
    "CREATED_KIND",
    "INITIAL",
    "OPEN",
    "TRANSITIONS",
    "ListingEvent",
    "Transition",
    "apply",
    "refusal",
    "require",
    "sources",
]
