"""The demand lifecycle table, tried pair by pair against a table written out here by hand: every
allowed (state, event) moves the demand to the expected state with the declared journal kind;
every other pair is a 409 naming the state the demand is in, and changes nothing."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from marketplace.matching import demand_lifecycle as lifecycle
from marketplace.matching.demand_lifecycle import DemandEvent, DemandStatus
from marketplace.matching.errors import DemandStateConflict

#: event → {from: (to, journal kind)}
EXPECTED: dict[str, dict[str, tuple[str, str]]] = {
    "close": {"open": ("closed", "demand.closed")},
    "expire": {"open": ("expired", "demand.expired")},
    "fulfil": {"open": ("fulfilled", "demand.fulfilled")},
}

PAIRS = list(itertools.product(DemandStatus, DemandEvent))
ALLOWED = [(s, e) for s, e in PAIRS if s.value in EXPECTED[e.value]]
REFUSED = [(s, e) for s, e in PAIRS if s.value not in EXPECTED[e.value]]


@dataclass
class Row:
    status: str


def test_the_table_is_the_one_written_out_here() -> None:
    table: dict[str, dict[str, tuple[str, str]]] = {e.value: {} for e in DemandEvent}
    for (state, event), t in lifecycle.TRANSITIONS.items():
        table[event.value][state.value] = (t.target.value, t.kind)
    assert table == EXPECTED


@pytest.mark.parametrize(("state", "event"), ALLOWED, ids=[f"{s}-{e}" for s, e in ALLOWED])
def test_an_allowed_pair_moves_to_the_expected_state_with_its_journal_kind(
    state: DemandStatus, event: DemandEvent
) -> None:
    row = Row(state.value)
    transition = lifecycle.apply(row, event)
    assert (row.status, transition.kind) == EXPECTED[event.value][state.value]


@pytest.mark.parametrize(("state", "event"), REFUSED, ids=[f"{s}-{e}" for s, e in REFUSED])
def test_a_refused_pair_is_a_409_naming_the_state_and_changes_nothing(
    state: DemandStatus, event: DemandEvent
) -> None:
    row = Row(state.value)
    assert not lifecycle.allowed(state, event)
    with pytest.raises(DemandStateConflict) as raised:
        lifecycle.apply(row, event)
    assert raised.value.status == 409
    assert raised.value.code == "demand_state"
    assert str(raised.value) == (
        f"cannot {event.value} a demand that is {state.value}; it must be open"
    )
    assert row.status == state.value


def test_an_open_demand_past_its_deadline_reads_as_expired() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert lifecycle.effective_status("open", now + timedelta(seconds=1), now) == "open"
    assert lifecycle.effective_status("open", now, now) == "expired"
    assert lifecycle.effective_status("closed", now - timedelta(days=1), now) == "closed"
    assert lifecycle.effective_status("fulfilled", now - timedelta(days=1), now) == "fulfilled"


def test_a_posted_demand_starts_open_and_journals_demand_posted() -> None:
    assert DemandStatus.open == lifecycle.INITIAL
    assert lifecycle.POSTED_KIND == "demand.posted"
