"""The objection lifecycle as data, beside the asset's: its states, the events that move it,
the allowed transitions and the journal kind each writes.

Every change of ``AssetObjection.status`` goes through ``apply``; a pair the table does not
hold is an ``ObjectionStateConflict`` (409) naming the state the objection is in.

    (filed) → open ─uphold→ upheld
                   ─dismiss→ dismissed
                   ─escalate→ escalated ─uphold_by_ruling→ upheld
                                        ─dismiss_by_ruling→ dismissed

Filing writes the asset's ``asset.objection_filed`` (the asset lifecycle's ``object`` event);
a decision writes ``asset.objection_decided``. Escalation to arbitration (either side, while it
is open) writes ``asset.objection_escalated``; from then on only the executed ruling decides it
(an operator's decision is a 409 naming the state).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from marketplace.assets.errors import ObjectionStateConflict
from marketplace.assets.models import AssetObjection, ObjectionStatus

#: The state a filed objection starts in.
INITIAL: Final = ObjectionStatus.open


class ObjectionEvent(StrEnum):
    uphold = "uphold"
    dismiss = "dismiss"
    escalate = "escalate"
    uphold_by_ruling = "uphold_by_ruling"
    dismiss_by_ruling = "dismiss_by_ruling"


@dataclass(frozen=True)
class ObjectionTransition:
    source: ObjectionStatus
    event: ObjectionEvent
    target: ObjectionStatus
    kind: str


_DECIDED_KIND: Final = "asset.objection_decided"
ESCALATED_KIND: Final = "asset.objection_escalated"

#: The table: (state, event) → transition. Any pair not in it is refused.
TRANSITIONS: Final[dict[tuple[ObjectionStatus, ObjectionEvent], ObjectionTransition]] = {
    (t.source, t.event): t
    for t in (
        ObjectionTransition(
            ObjectionStatus.open, ObjectionEvent.uphold, ObjectionStatus.upheld, _DECIDED_KIND
        ),
        ObjectionTransition(
            ObjectionStatus.open, ObjectionEvent.dismiss, ObjectionStatus.dismissed, _DECIDED_KIND
        ),
        ObjectionTransition(
            ObjectionStatus.open, ObjectionEvent.escalate, ObjectionStatus.escalated, ESCALATED_KIND
        ),
        ObjectionTransition(
            ObjectionStatus.escalated,
            ObjectionEvent.uphold_by_ruling,
            ObjectionStatus.upheld,
            _DECIDED_KIND,
        ),
        ObjectionTransition(
            ObjectionStatus.escalated,
            ObjectionEvent.dismiss_by_ruling,
            ObjectionStatus.dismissed,
            _DECIDED_KIND,
        ),
    )
}

#: The event an operator's decision (``ObjectionDecision.decision``) is.
DECISIONS: Final[dict[str, ObjectionEvent]] = {
    ObjectionStatus.upheld.value: ObjectionEvent.uphold,
    ObjectionStatus.dismissed.value: ObjectionEvent.dismiss,
}


def undecided(row: AssetObjection) -> bool:
    """Whether the objection may still be decided (it is in a state some event leaves)."""
    return any(source == ObjectionStatus(row.status) for source, _ in TRANSITIONS)


def require_undecided(row: AssetObjection) -> None:
    """409 naming the objection's state when it is already decided."""
    if not undecided(row):
        raise ObjectionStateConflict(f"objection {row.id} is already {row.status}")


def apply(row: AssetObjection, event: ObjectionEvent) -> ObjectionTransition:
    """Move the objection by ``event``; 409 naming its state if the table does not allow it."""
    found = TRANSITIONS.get((ObjectionStatus(row.status), event))
    if found is None:
        raise ObjectionStateConflict(f"objection {row.id} is already {row.status}")
    row.status = found.target
    return found


__all__ = [
    "DECISIONS",
    "ESCALATED_KIND",
    "INITIAL",
    "TRANSITIONS",
    "ObjectionEvent",
    "ObjectionTransition",
    "apply",
    "require_undecided",
    "undecided",
]
