"""The hold lifecycle table, tried pair by pair against a table written out here by hand:
every allowed (state, event) moves the hold to the expected state with the declared journal
kind; every other pair is a 409 naming the state the hold is in, and changes nothing."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from marketplace.books import lifecycle
from marketplace.books.errors import HoldStateConflict
from marketplace.books.lifecycle import HoldEvent, HoldStatus

#: event → {from: to}
EXPECTED: dict[str, dict[str, str]] = {
    "release": {"pending": "posted"},
    "refund": {"pending": "voided"},
    "split": {"pending": "posted"},
}
KINDS = {
    HoldEvent.release: "settlement.released",
    HoldEvent.refund: "escrow.refunded",
    HoldEvent.partial: "settlement.split",
}

PAIRS = list(itertools.product(HoldStatus, HoldEvent))
ALLOWED = [(s, e) for s, e in PAIRS if s.value in EXPECTED[e.value]]
REFUSED = [(s, e) for s, e in PAIRS if s.value not in EXPECTED[e.value]]


@dataclass
class _Row:
    status: str


def test_the_table_is_the_one_written_out_here() -> None:
    table: dict[str, dict[str, str]] = {e.value: {} for e in HoldEvent}
    for (state, event), t in lifecycle.TRANSITIONS.items():
        table[event.value][state.value] = t.target.value
    assert table == EXPECTED
    assert {t.event: t.kind for t in lifecycle.TRANSITIONS.values()} == KINDS


def test_a_new_hold_is_pending_and_writes_escrow_held() -> None:
    assert (HoldStatus.pending, "escrow.held") == (lifecycle.INITIAL, lifecycle.HELD_KIND)
    assert {HoldStatus.pending} == lifecycle.HOLDING


@pytest.mark.parametrize(("state", "event"), ALLOWED, ids=[f"{s}-{e}" for s, e in ALLOWED])
def test_an_allowed_pair_moves_to_the_expected_state_with_its_journal_kind(
    state: HoldStatus, event: HoldEvent
) -> None:
    row = _Row(state.value)
    transition = lifecycle.apply(row, event)
    assert row.status == EXPECTED[event.value][state.value] == transition.target
    assert transition.kind == KINDS[event]
    assert lifecycle.allowed(state, event)


@pytest.mark.parametrize(("state", "event"), REFUSED, ids=[f"{s}-{e}" for s, e in REFUSED])
def test_any_other_pair_is_a_409_naming_the_state(state: HoldStatus, event: HoldEvent) -> None:
    row = _Row(state.value)
    with pytest.raises(HoldStateConflict) as caught:
        lifecycle.apply(row, event)
    assert caught.value.status == 409
    assert caught.value.code == "hold_state"
    assert f"that is {state.value}; it must be pending" in caught.value.message
    assert row.status == state.value
    assert not lifecycle.allowed(state, event)
