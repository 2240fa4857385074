"""The auction and bid lifecycle tables, tried pair by pair against tables written out here by
hand: every allowed pair moves to the expected state and names its journal kind; every other
pair is a 409 naming the state, and changes nothing. The time-driven step is tried against the
clock."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from marketplace.auctions import lifecycle
from marketplace.auctions.errors import AuctionStateConflict, BidStateConflict
from marketplace.auctions.lifecycle import SAME, AuctionEvent, BidEvent
from marketplace.auctions.models import Auction, AuctionBid, AuctionStatus, BidStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)
COMMIT_END = T0 + timedelta(hours=1)
REVEAL_END = T0 + timedelta(hours=2)

#: event → {from: (to, journal kind)}
EXPECTED: dict[str, dict[str, tuple[str, str | None]]] = {
    "close_commits": {"committing": ("revealing", None)},
    "commit": {"committing": ("committing", "auction.bid_committed")},
    "cancel": {"committing": ("cancelled", "auction.cancelled")},
    "reveal": {"revealing": ("revealing", "auction.bid_revealed")},
    "resolve": {"revealing": ("resolved", "auction.resolved")},
    "no_sale": {"revealing": ("no_sale", "auction.resolved")},
}
BID_EXPECTED: dict[str, dict[str, tuple[str, str | None]]] = {
    "reveal": {"committed": ("revealed", "auction.bid_revealed")},
    "reject": {"revealed": ("rejected", None)},
    "forfeit": {"committed": ("forfeited", None)},
}

PAIRS = list(itertools.product(AuctionStatus, AuctionEvent))
ALLOWED = [(s, e) for s, e in PAIRS if s.value in EXPECTED[e.value]]
REFUSED = [(s, e) for s, e in PAIRS if s.value not in EXPECTED[e.value]]
BID_PAIRS = list(itertools.product(BidStatus, BidEvent))
BID_ALLOWED = [(s, e) for s, e in BID_PAIRS if s.value in BID_EXPECTED[e.value]]
BID_REFUSED = [(s, e) for s, e in BID_PAIRS if s.value not in BID_EXPECTED[e.value]]


def test_the_tables_are_the_ones_written_out_here() -> None:
    table: dict[str, dict[str, tuple[str, str | None]]] = {e.value: {} for e in AuctionEvent}
    for (state, event), t in lifecycle.TRANSITIONS.items():
        target = state.value if t.target == SAME else str(t.target)
        table[event.value][state.value] = (target, t.kind)
    assert table == EXPECTED
    bids: dict[str, dict[str, tuple[str, str | None]]] = {e.value: {} for e in BidEvent}
    for (bstate, bevent), bt in lifecycle.BID_TRANSITIONS.items():
        bids[bevent.value][bstate.value] = (bt.target.value, bt.kind)
    assert bids == BID_EXPECTED


def _auction(state: AuctionStatus) -> tuple[Auction, datetime]:
    """An auction in ``state`` and a moment at which it is in it."""
    stored = AuctionStatus.committing if state is AuctionStatus.revealing else state
    auction = Auction(id=3, status=stored, commit_deadline=COMMIT_END, reveal_deadline=REVEAL_END)
    now = COMMIT_END + timedelta(minutes=1) if state is AuctionStatus.revealing else T0
    assert lifecycle.current(auction, now) is state
    return auction, now


@pytest.mark.parametrize(("state", "event"), ALLOWED, ids=[f"{s}-{e}" for s, e in ALLOWED])
def test_an_allowed_pair_moves_to_the_expected_state(
    state: AuctionStatus, event: AuctionEvent
) -> None:
    auction, now = _auction(state)
    target, kind = EXPECTED[event.value][state.value]
    if event is AuctionEvent.close_commits:  # the clock applies it: see the test below
        assert lifecycle.TRANSITIONS[(state, event)].kind is None
        assert lifecycle.current(auction, auction.commit_deadline).value == target
        return
    transition = lifecycle.apply(auction, event, now)
    assert transition.kind == kind
    if target != "revealing":  # never stored: derived from the clock
        assert auction.status == target
    assert lifecycle.current(auction, now).value == target


@pytest.mark.parametrize(("state", "event"), REFUSED, ids=[f"{s}-{e}" for s, e in REFUSED])
def test_a_refused_pair_is_a_409_naming_the_state_and_changes_nothing(
    state: AuctionStatus, event: AuctionEvent
) -> None:
    auction, now = _auction(state)
    before = auction.status
    if event is AuctionEvent.close_commits:
        assert lifecycle.current(auction, now + timedelta(days=30)) in (
            state,
            AuctionStatus.revealing,
        )
        with pytest.raises(AuctionStateConflict):
            lifecycle.require(state, event)
        return
    with pytest.raises(AuctionStateConflict) as raised:
        lifecycle.apply(auction, event, now)
    assert raised.value.status == 409
    assert raised.value.code == "auction_state"
    assert f"is {state.value}" in str(raised.value)
    assert auction.status == before


@pytest.mark.parametrize(("state", "event"), BID_ALLOWED, ids=[f"{s}-{e}" for s, e in BID_ALLOWED])
def test_an_allowed_bid_pair_moves_to_the_expected_state(state: BidStatus, event: BidEvent) -> None:
    bid = AuctionBid(status=state)
    transition = lifecycle.apply_bid(bid, event)
    assert (bid.status, transition.kind) == BID_EXPECTED[event.value][state.value]


@pytest.mark.parametrize(("state", "event"), BID_REFUSED, ids=[f"{s}-{e}" for s, e in BID_REFUSED])
def test_a_refused_bid_pair_is_a_409_naming_the_state(state: BidStatus, event: BidEvent) -> None:
    bid = AuctionBid(status=state)
    with pytest.raises(BidStateConflict) as raised:
        lifecycle.apply_bid(bid, event)
    assert str(raised.value) == f"cannot {event.value} a bid that is {state.value}"
    assert bid.status == state


@pytest.mark.parametrize(
    ("now", "state", "due"),
    [
        (COMMIT_END - timedelta(microseconds=1), AuctionStatus.committing, False),
        (COMMIT_END, AuctionStatus.revealing, False),
        (REVEAL_END - timedelta(microseconds=1), AuctionStatus.revealing, False),
        (REVEAL_END, AuctionStatus.revealing, True),
    ],
)
def test_the_clock_moves_committing_to_revealing_and_makes_resolution_due(
    now: datetime, state: AuctionStatus, due: bool
) -> None:
    auction = Auction(status="committing", commit_deadline=COMMIT_END, reveal_deadline=REVEAL_END)
    assert lifecycle.current(auction, now) is state
    assert lifecycle.resolution_due(auction, now) is due
    assert auction.status == "committing"


def test_a_closed_auction_stays_closed_whatever_the_clock() -> None:
    for status in ("resolved", "no_sale", "cancelled"):
        auction = Auction(status=status, commit_deadline=COMMIT_END, reveal_deadline=REVEAL_END)
        assert lifecycle.current(auction, REVEAL_END + timedelta(days=9)).value == status
        assert not lifecycle.resolution_due(auction, REVEAL_END + timedelta(days=9))
