"""The objection lifecycle table, tried pair by pair against a table written out here by hand:
an open objection is upheld or dismissed once, or escalated to arbitration, whose executed ruling
then upholds or dismisses it; every other (state, event) is a 409 naming the state the objection
is in, and changes nothing."""

from __future__ import annotations

import itertools

import pytest

from marketplace.assets import objection_lifecycle
from marketplace.assets.errors import ObjectionStateConflict
from marketplace.assets.models import AssetObjection, ObjectionStatus
from marketplace.assets.objection_lifecycle import ObjectionEvent

#: event → {from: to}
EXPECTED: dict[str, dict[str, str]] = {
    "uphold": {"open": "upheld"},
    "dismiss": {"open": "dismissed"},
    "escalate": {"open": "escalated"},
    "uphold_by_ruling": {"escalated": "upheld"},
    "dismiss_by_ruling": {"escalated": "dismissed"},
}
UNDECIDED = {"open", "escalated"}

PAIRS = list(itertools.product(ObjectionStatus, ObjectionEvent))
ALLOWED = [(s, e) for s, e in PAIRS if s.value in EXPECTED[e.value]]
REFUSED = [(s, e) for s, e in PAIRS if s.value not in EXPECTED[e.value]]


def _objection(state: ObjectionStatus) -> AssetObjection:
    return AssetObjection(id=7, status=state)


def test_the_table_is_the_one_written_out_here() -> None:
    table: dict[str, dict[str, str]] = {e.value: {} for e in ObjectionEvent}
    for (state, event), t in objection_lifecycle.TRANSITIONS.items():
        table[event.value][state.value] = t.target.value
    assert table == EXPECTED
    assert ObjectionStatus.open == objection_lifecycle.INITIAL
    assert {t.kind for t in objection_lifecycle.TRANSITIONS.values()} == {
        "asset.objection_decided",
        "asset.objection_escalated",
    }
    assert {
        "upheld": ObjectionEvent.uphold,
        "dismissed": ObjectionEvent.dismiss,
    } == objection_lifecycle.DECISIONS


@pytest.mark.parametrize(("state", "event"), ALLOWED, ids=[f"{s}-{e}" for s, e in ALLOWED])
def test_an_allowed_pair_moves_to_the_expected_state(
    state: ObjectionStatus, event: ObjectionEvent
) -> None:
    row = _objection(state)
    assert objection_lifecycle.undecided(row)
    transition = objection_lifecycle.apply(row, event)
    assert row.status == EXPECTED[event.value][state.value] == transition.target


@pytest.mark.parametrize(("state", "event"), REFUSED, ids=[f"{s}-{e}" for s, e in REFUSED])
def test_a_refused_pair_is_a_409_naming_the_state_and_changes_nothing(
    state: ObjectionStatus, event: ObjectionEvent
) -> None:
    row = _objection(state)
    with pytest.raises(ObjectionStateConflict) as raised:
        objection_lifecycle.apply(row, event)
    assert raised.value.status == 409
    assert str(raised.value) == f"objection 7 is already {state.value}"
    assert row.status == state
    if state.value in UNDECIDED:
        objection_lifecycle.require_undecided(row)  # another event moves it
        return
    with pytest.raises(ObjectionStateConflict):
        objection_lifecycle.require_undecided(row)
