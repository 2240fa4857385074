"""The asset lifecycle as data: its states, the events that move it, the allowed transitions and
the journal kind each transition writes.

Every change of ``Asset.status`` goes through ``apply``; a pair the table does not hold is an
``AssetStateConflict`` (409) naming the state the asset is in and, for most events, the states
the event needs.
An event may leave the state as it is (adding a revision, filing an objection): the table says
in which states it is allowed all the same (its target is ``SAME``). Two other targets are not a
fixed state:

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
from typing import Final

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


class Rule(StrEnum):
    """A target given by a rule instead of a fixed state."""

    same = "same"  # the event leaves the state as it is
    prior = "prior"  # back to the state recorded when the asset was suspended
    removed = "removed"  # the caller deletes the row; the status is not changed first


SAME: Final = Rule.same
PRIOR: Final = Rule.prior
REMOVED: Final = Rule.removed
Target = AssetStatus | Rule


@dataclass(frozen=True)
class Transition:
    source: AssetStatus
    event: AssetEvent
    target: Target
    kind: str


_S = AssetStatus
_E = AssetEvent
REGISTERED: Final = (_S.approved, _S.listed, _S.delisted)
_EDITABLE: Final = (_S.draft, _S.rejected, *REGISTERED)
_NOT_CANCELLED: Final = tuple(s for s in _S if s != _S.cancelled)

#: The declaration: (the states the event is allowed in, event, target, journal kind). The
#: states are listed in the order a refusal names them.
_DECLARED: Final[tuple[tuple[tuple[AssetStatus, ...], AssetEvent, Target, str], ...]] = (
    ((_S.draft, _S.rejected), _E.change_metadata, SAME, "asset.metadata_changed"),
    (REGISTERED, _E.change_metadata, _S.draft, "asset.metadata_changed"),
    (_EDITABLE, _E.add_revision, SAME, "asset.revision_added"),
    (_EDITABLE, _E.correct_schema, SAME, "asset.schema_corrected"),
    (_EDITABLE, _E.submit, _S.under_review, "asset.submitted"),
    ((_S.under_review,), _E.approve, _S.approved, "asset.reviewed"),
    ((_S.under_review,), _E.reject, _S.rejected, "asset.reviewed"),
    ((_S.approved, _S.delisted), _E.list, _S.listed, "asset.listed"),
    ((_S.listed,), _E.delist, _S.delisted, "asset.delisted"),
    (REGISTERED, _E.transfer, _S.approved, REGISTERED_KIND),
    (_NOT_CANCELLED, _E.cancel, _S.cancelled, "asset.cancelled"),
    ((*REGISTERED, _S.under_review, _S.suspended), _E.object, SAME, "asset.objection_filed"),
    ((*REGISTERED, _S.under_review), _E.suspend, _S.suspended, "asset.suspended"),
    ((_S.suspended,), _E.reinstate, PRIOR, "asset.reinstated"),
    ((_S.draft,), _E.delete, REMOVED, "asset.deleted"),
)

#: The table: (state, event) → transition. Any pair not in it is refused.
TRANSITIONS: Final[dict[tuple[AssetStatus, AssetEvent], Transition]] = {
    (source, event): Transition(source, event, target, kind)
    for sources_, event, target, kind in _DECLARED
    for source in sources_
}

#: The states a suspended asset may return to: those it may have been suspended from.
REINSTATABLE: Final = frozenset(s for (s, e) in TRANSITIONS if e == AssetEvent.suspend)

#: How a refusal reads, by event: ``{state}`` is the state the asset is in, ``{sources}`` the
#: states the event needs ("draft or rejected"). An event not here reads
#: "cannot <verb> an asset that is {state}; it must be {sources}".
_VERBS: Final[dict[AssetEvent, str]] = {
    AssetEvent.change_metadata: "change the metadata of",
    AssetEvent.add_revision: "add a revision to",
    AssetEvent.correct_schema: "correct the schema of",
    AssetEvent.approve: "review",
    AssetEvent.reject: "review",
    AssetEvent.object: "object to",
}
_REFUSALS: Final[dict[AssetEvent, str]] = {
    AssetEvent.cancel: "the asset is already {state}",
    AssetEvent.delete: (
        "cannot delete an asset that is {state}; only a draft that was never submitted can be "
        "deleted (a registered asset is cancelled instead)"
    ),
}


def allowed(state: AssetStatus | str, event: AssetEvent) -> bool:
    return (AssetStatus(state), event) in TRANSITIONS


def is_suspended(asset: Asset) -> bool:
    return asset.status == AssetStatus.suspended


def sources(event: AssetEvent) -> list[AssetStatus]:
    """The states ``event`` is allowed in, in the order the declaration lists them."""
    return [s for sources_, e, _, _ in _DECLARED if e == event for s in sources_]


def refusal(state: AssetStatus | str, event: AssetEvent) -> str:
    """Why ``event`` is refused in ``state``: the state the asset is in, and what it needs."""
    verb = _VERBS.get(event, event.value)
    form = _REFUSALS.get(event, f"cannot {verb} an asset that is {{state}}; it must be {{sources}}")
    return form.format(state=AssetStatus(state), sources=" or ".join(sources(event)))


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
    match transition.target:
        case Rule.prior:
            prior = asset.status_before_suspension
            assert prior is not None, "a suspended asset remembers the status it had"
            assert AssetStatus(prior) in REINSTATABLE, prior
            asset.status = AssetStatus(prior)
            asset.status_before_suspension = None
        case Rule.same | Rule.removed:
            pass
        case AssetStatus() as target:
            asset.status = target
    return transition


__all__ = [
    "CREATED_KIND",
    "INITIAL",
    "PRIOR",
    "REGISTERED",
    "REINSTATABLE",
    "REMOVED",
    "SAME",
    "TRANSITIONS",
    "AssetEvent",
    "Rule",
    "Target",
    "Transition",
    "allowed",
    "apply",
    "is_suspended",
    "refusal",
    "require",
    "sources",
]
