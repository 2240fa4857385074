"""The asset lifecycle as data: its states, the events that move it, the allowed transitions and
the journal kind each transition writes.

Every change of ``Asset.status`` goes through ``apply``; a pair the table does not hold is an
``AssetStateConflict`` (409) naming the state the asset is in and the states the event needs.
An event may leave the state as it is (adding a revision, filing an objection): the table says
in which states it is allowed all the same. Two targets are not a fixed state:

- ``PRIOR``: reinstating a suspended asset returns it to the state it had when it was
  suspended (``Asset.status_before_suspension``), which is one of the states ``suspend`` is
  allowed from;
- ``REMOVED``: deleting a draft removes the row; the status is not changed first.

    draft ─submit→ under_review ─approve→ approved ─list→ listed ─delist→ delisted ─list→ listed
                                ─reject→  rejected ─submit→ under_review
    approved | listed | delisted ─change_metadata→ draft (a change registration follows)
    approved | listed | delisted | under_review ─suspend→ suspended ─reinstate→ (prior state)
    approved | listed | delisted ─transfer→ approved (the new owner lists it again)
    any state but cancelled ─cancel→ cancelled;  draft ─delete→ (removed)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from marketplace.assets.certificate import ENTRY_KIND as REGISTERED_KIND
from marketplace.assets.errors import AssetStateConflict
from marketplace.assets.models import Asset, AssetStatus

#: The state a new asset starts in, and the journal kind its creation writes.
INITIAL: Final = AssetStatus.draft
CREATED_KIND: Final = "asset.created"


class AssetEvent(StrEnum):
    change_metadata = "change_metadata"
    add_revision = "add_revision"
    correct_schema = "correct_schema"
    submit = "submit"
    approve = "approve"
    reject = "reject"
    list = "list"
    delist = "delist"
    transfer = "transfer"
    cancel = "cancel"
    object = "object"
    suspend = "suspend"
    reinstate = "reinstate"
    delete = "delete"


PRIOR: Final = "prior"
REMOVED: Final = "removed"
Target = AssetStatus | Literal["prior", "removed"]


@dataclass(frozen=True)
class Transition:
    source: AssetStatus
    event: AssetEvent
    target: Target
    kind: str


#: How a refusal names each event ("cannot <verb> an asset that is ...").
_VERBS: Final[dict[AssetEvent, str]] = {
    AssetEvent.change_metadata: "change the metadata of",
    AssetEvent.add_revision: "add a revision to",
    AssetEvent.correct_schema: "correct the schema of",
    AssetEvent.submit: "submit",
    AssetEvent.approve: "approve",
    AssetEvent.reject: "reject",
    AssetEvent.list: "list",
    AssetEvent.delist: "delist",
    AssetEvent.transfer: "transfer",
    AssetEvent.cancel: "cancel",
    AssetEvent.object: "object to",
    AssetEvent.suspend: "suspend",
    AssetEvent.reinstate: "reinstate",
    AssetEvent.delete: "delete",
}

#: Events whose refusal says more than the states they need.
_HINTS: Final[dict[AssetEvent, str]] = {
    AssetEvent.delete: (
        "only a draft that was never submitted can be deleted (a registered asset is "
        "cancelled instead)"
    ),
}

_S = AssetStatus
_E = AssetEvent
_SAME: Final = "same"  # the event leaves the state as it is
REGISTERED: Final = (_S.approved, _S.listed, _S.delisted)
_EDITABLE: Final = (_S.draft, _S.rejected, *REGISTERED)
_NOT_CANCELLED: Final = tuple(s for s in _S if s != _S.cancelled)

#: The declaration: (the states the event is allowed in, event, target, journal kind).
_DECLARED: Final[tuple[tuple[tuple[AssetStatus, ...], AssetEvent, str, str], ...]] = (
    ((_S.draft, _S.rejected), _E.change_metadata, _SAME, "asset.metadata_changed"),
    (REGISTERED, _E.change_metadata, _S.draft, "asset.metadata_changed"),
    (_EDITABLE, _E.add_revision, _SAME, "asset.revision_added"),
    (_EDITABLE, _E.correct_schema, _SAME, "asset.schema_corrected"),
    (_EDITABLE, _E.submit, _S.under_review, "asset.submitted"),
    ((_S.under_review,), _E.approve, _S.approved, "asset.reviewed"),
    ((_S.under_review,), _E.reject, _S.rejected, "asset.reviewed"),
    ((_S.approved, _S.delisted), _E.list, _S.listed, "asset.listed"),
    ((_S.listed,), _E.delist, _S.delisted, "asset.delisted"),
    (REGISTERED, _E.transfer, _S.approved, REGISTERED_KIND),
    (_NOT_CANCELLED, _E.cancel, _S.cancelled, "asset.cancelled"),
    ((*REGISTERED, _S.under_review, _S.suspended), _E.object, _SAME, "asset.objection_filed"),
    ((*REGISTERED, _S.under_review), _E.suspend, _S.suspended, "asset.suspended"),
    ((_S.suspended,), _E.reinstate, PRIOR, "asset.reinstated"),
    ((_S.draft,), _E.delete, REMOVED, "asset.deleted"),
)


def _target(source: AssetStatus, declared: str) -> Target:
    if declared == _SAME:
        return source
    if declared in (PRIOR, REMOVED):
        return PRIOR if declared == PRIOR else REMOVED
    return AssetStatus(declared)


#: The table: (state, event) → transition. Any pair not in it is refused.
TRANSITIONS: Final[dict[tuple[AssetStatus, AssetEvent], Transition]] = {
    (source, event): Transition(source, event, _target(source, target), kind)
    for sources_, event, target, kind in _DECLARED
    for source in sources_
}

#: The states a suspended asset may return to: those it may have been suspended from.
REINSTATABLE: Final = frozenset(s for (s, e) in TRANSITIONS if e == AssetEvent.suspend)


def allowed(state: AssetStatus | str, event: AssetEvent) -> bool:
    return (AssetStatus(state), event) in TRANSITIONS


def sources(event: AssetEvent) -> list[AssetStatus]:
    """The states ``event`` is allowed in, in the order the states are declared."""
    return [s for s in AssetStatus if (s, event) in TRANSITIONS]


def refusal(state: AssetStatus | str, event: AssetEvent) -> str:
    """Why ``event`` is refused in ``state``: the state the asset is in, and what it needs."""
    need = _HINTS.get(event) or f"it must be {' or '.join(sources(event))}"
    return f"cannot {_VERBS[event]} an asset that is {AssetStatus(state)}; {need}"


def require(asset: Asset, event: AssetEvent) -> Transition:
    """The transition ``event`` makes from the asset's state; 409 if there is none."""
    found = TRANSITIONS.get((AssetStatus(asset.status), event))
    if found is None:
        raise AssetStateConflict(refusal(asset.status, event))
    return found


def apply(asset: Asset, event: AssetEvent) -> Transition:
    """Move the asset by ``event`` and return the transition (its ``kind`` is the journal entry
    the caller writes). Suspending remembers the state the asset had; reinstating returns to
    it. A deletion leaves the status alone: the caller removes the row."""
    transition = require(asset, event)
    if event == AssetEvent.suspend:
        asset.status_before_suspension = transition.source
    if transition.target == PRIOR:
        prior = asset.status_before_suspension
        assert prior is not None, "a suspended asset remembers the status it had"
        assert AssetStatus(prior) in REINSTATABLE, prior
        asset.status = AssetStatus(prior)
        asset.status_before_suspension = None
    elif transition.target not in (REMOVED, transition.source):
        asset.status = AssetStatus(transition.target)
    return transition


__all__ = [
    "CREATED_KIND",
    "INITIAL",
    "PRIOR",
    "REGISTERED",
    "REINSTATABLE",
    "REMOVED",
    "TRANSITIONS",
    "AssetEvent",
    "Target",
    "Transition",
    "allowed",
    "apply",
    "refusal",
    "require",
    "sources",
]
