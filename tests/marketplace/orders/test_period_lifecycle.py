"""The order-period lifecycle table, tried pair by pair against a table written out here by hand
(docs/orders.md, "Periods as data"): every allowed (state, event) moves the period to the
expected state with its journal kind; every other pair is a 409 naming the period's state, and
changes nothing."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from marketplace.orders import period_lifecycle
from marketplace.orders.errors import OrderStateConflict
from marketplace.orders.period_lifecycle import PeriodEvent, PeriodStatus

#: event → {from: (to, journal kind)}
EXPECTED: dict[str, dict[str, tuple[str, str]]] = {
    "charge": {"due": ("held", "period.charged")},
    "refuse": {"due": ("refused", "period.refused")},
    "waive": {"due": ("waived", "period.waived")},
    "settle": {"held": ("settled", "period.settled")},
    "refund": {
        "held": ("refunded", "period.refunded"),
        "disputed": ("refunded", "period.refunded"),
    },
    "cancel": {"due": ("cancelled", "period.cancelled")},
    "dispute": {
        "held": ("disputed", "period.disputed"),
        "settled": ("disputed", "period.disputed"),
    },
    "release": {"disputed": ("settled", "period.released")},
    "refund_part": {"disputed": ("partially_refunded", "period.partially_refunded")},
}

PAIRS = list(itertools.product(PeriodStatus, PeriodEvent))
ALLOWED = [(s, e) for s, e in PAIRS if s.value in EXPECTED[e.value]]
REFUSED = [(s, e) for s, e in PAIRS if s.value not in EXPECTED[e.value]]


@dataclass
class _Row:
    status: str


def test_the_table_is_the_one_written_out_here() -> None:
    table: dict[str, dict[str, tuple[str, str]]] = {e.value: {} for e in PeriodEvent}
    for (state, event), t in period_lifecycle.TRANSITIONS.items():
        table[event.value][state.value] = (t.target.value, t.kind)
    assert table == EXPECTED


@pytest.mark.parametrize(("state", "event"), ALLOWED)
def test_an_allowed_pair_moves_the_period(state: PeriodStatus, event: PeriodEvent) -> None:
    row = _Row(state.value)
    found = period_lifecycle.apply(row, event)
    assert (row.status, found.kind) == EXPECTED[event.value][state.value]


@pytest.mark.parametrize(("state", "event"), REFUSED)
def test_any_other_pair_is_a_409_naming_the_state(state: PeriodStatus, event: PeriodEvent) -> None:
    row = _Row(state.value)
    with pytest.raises(OrderStateConflict, match=f"a period that is {state.value}"):
        period_lifecycle.apply(row, event)
    assert row.status == state.value


def test_a_disputed_period_is_open_and_its_ruled_ends_are_closed() -> None:
    assert PeriodStatus.disputed not in period_lifecycle.CLOSED
    assert PeriodStatus.partially_refunded in period_lifecycle.CLOSED
