"""The order lifecycle table, tried pair by pair against a table written out here by hand:
every allowed (state, event) moves the order to the expected state with the declared journal
kind; every other pair is a 409 naming the state the order is in, and changes nothing."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from marketplace.orders import lifecycle
from marketplace.orders.errors import OrderStateConflict
from marketplace.orders.lifecycle import OrderEvent, OrderStatus

#: event → {from: to}
EXPECTED: dict[str, dict[str, str]] = {
    "cancel": {"placed": "cancelled"},
    "pay": {"placed": "paid"},
    "expire": {"placed": "expired"},
    "approve": {"paid": "approved"},
    "refuse": {"paid": "refunded"},
    "deliver": {"paid": "delivered", "approved": "delivered"},
    "accept": {"delivered": "accepted"},
    "settle": {"accepted": "settled"},
    "dispute": dict.fromkeys(("paid", "approved", "delivered", "accepted", "settled"), "disputed"),
    "release": {"disputed": "settled"},
    "refund": {"disputed": "refunded"},
    "refund_part": {"disputed": "partially_refunded"},
}
KINDS = {
    OrderEvent.cancel: "order.cancelled",
    OrderEvent.pay: "order.paid",
    OrderEvent.expire: "order.expired",
    OrderEvent.approve: "order.approved",
    OrderEvent.refuse: "order.refused",
    OrderEvent.deliver: "order.delivered",
    OrderEvent.accept: "order.accepted",
    OrderEvent.settle: "order.settled",
    OrderEvent.dispute: "order.disputed",
    OrderEvent.release: "order.released",
    OrderEvent.refund: "order.refunded",
    OrderEvent.refund_part: "order.partially_refunded",
}

PAIRS = list(itertools.product(OrderStatus, OrderEvent))
ALLOWED = [(s, e) for s, e in PAIRS if s.value in EXPECTED[e.value]]
REFUSED = [(s, e) for s, e in PAIRS if s.value not in EXPECTED[e.value]]


@dataclass
class _Row:
    status: str


def test_the_table_is_the_one_written_out_here() -> None:
    table: dict[str, dict[str, str]] = {e.value: {} for e in OrderEvent}
    for (state, event), t in lifecycle.TRANSITIONS.items():
        table[event.value][state.value] = t.target.value
    assert table == EXPECTED
    assert {t.event: t.kind for t in lifecycle.TRANSITIONS.values()} == KINDS


def test_a_new_order_is_placed_and_writes_order_placed() -> None:
    assert (OrderStatus.placed, "order.placed") == (lifecycle.INITIAL, lifecycle.PLACED_KIND)


@pytest.mark.parametrize(("state", "event"), ALLOWED, ids=[f"{s}-{e}" for s, e in ALLOWED])
def test_an_allowed_pair_moves_to_the_expected_state_with_its_journal_kind(
    state: OrderStatus, event: OrderEvent
) -> None:
    row = _Row(state.value)
    transition = lifecycle.apply(row, event)
    assert row.status == EXPECTED[event.value][state.value]
    assert transition.kind == KINDS[event]
    assert lifecycle.allowed(state, event)


@pytest.mark.parametrize(("state", "event"), REFUSED, ids=[f"{s}-{e}" for s, e in REFUSED])
def test_a_refused_pair_is_a_409_naming_the_state_and_changes_nothing(
    state: OrderStatus, event: OrderEvent
) -> None:
    row = _Row(state.value)
    assert not lifecycle.allowed(state, event)
    with pytest.raises(OrderStateConflict) as raised:
        lifecycle.apply(row, event)
    assert (raised.value.status, raised.value.code) == (409, "order_state")
    needs = " or ".join(EXPECTED[event.value])
    assert str(raised.value) == (
        f"cannot {event.value} an order that is {state.value}; it must be {needs}"
    )
    assert row.status == state.value


def test_only_live_orders_hold_an_exclusive_listing_or_count_as_revenue() -> None:
    live = {"placed", "paid", "approved", "delivered", "accepted", "disputed"}
    assert {s.value for s in lifecycle.HOLDS_EXCLUSIVE} == live
    assert {OrderStatus.settled} == lifecycle.COUNTED_AS_REVENUE


def test_every_state_is_reachable_and_the_ends_are_final() -> None:
    reached = {lifecycle.INITIAL} | {t.target for t in lifecycle.TRANSITIONS.values()}
    assert reached == set(OrderStatus)
    moving = {s for s, _ in lifecycle.TRANSITIONS}
    assert set(OrderStatus) - moving == {
        OrderStatus.cancelled,
        OrderStatus.expired,
        OrderStatus.refunded,
        OrderStatus.partially_refunded,
    }


def test_the_architecture_page_shows_this_table() -> None:
    text = (Path(__file__).resolve().parents[3] / "docs" / "architecture.md").read_text("utf-8")
    section = text.split("\n### The order lifecycle\n", 1)[1].split("\n### ", 1)[0]
    lines = section.splitlines()
    start = lines.index("| event | from | to | journal kind |")
    documented = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        event, sources, target, kind = (re.findall(r"`([^`]+)`", c) for c in line.split("|")[1:5])
        for state in sources:
            documented[(state, event[0])] = (target[0], kind[0])
    declared = {
        (s.value, e.value): (t.target.value, t.kind) for (s, e), t in lifecycle.TRANSITIONS.items()
    }
    assert documented == declared
