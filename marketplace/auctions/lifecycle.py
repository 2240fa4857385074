"""The auction and bid lifecycles as data: states, events, allowed transitions and the journal
kind each transition writes.

Every change of ``Auction.status`` and ``AuctionBid.status`` goes through ``apply`` and
``apply_bid``; a pair a table does not hold is a 409 naming the state.

    committing ─(commit deadline passes)→ revealing ─resolve→ resolved   (a winner)
                                                    ─no_sale→ no_sale   (no valid bid)
    committing ─cancel→ cancelled   (by the supplier, before any bid)
    committing ─commit→ (same)      revealing ─reveal→ (same)

    bid: committed ─reveal→ revealed ─reject→ rejected   (below the reserve, at resolution)
         committed ─forfeit→ forfeited                   (never revealed, at resolution)

Time drives two steps. ``revealing`` is never stored: ``current`` derives it from the clock
(the commit deadline is in ``auction.opened``, so the step needs no entry of its own). Resolution
is due once the reveal deadline has passed; it is applied when the auction is next read, or by
``POST /auctions/{id}/resolve``. The bids' ``reject`` and ``forfeit`` are written in the one
``auction.resolved`` entry, which lists every bid's verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from ledger.models import as_utc
from marketplace.auctions.errors import AuctionStateConflict, BidStateConflict
from marketplace.auctions.models import Auction, AuctionBid, AuctionStatus, BidStatus

INITIAL: Final = AuctionStatus.committing
OPENED_KIND: Final = "auction.opened"
RESOLVED_KIND: Final = "auction.resolved"


class AuctionEvent(StrEnum):
    close_commits = "close_commits"  # time: the commit deadline passed
    commit = "commit"
    reveal = "reveal"
    resolve = "resolve"
    no_sale = "no_sale"
    cancel = "cancel"


class BidEvent(StrEnum):
    reveal = "reveal"
    reject = "reject"
    forfeit = "forfeit"


class Rule(StrEnum):
    same = "same"  # the event leaves the state as it is


SAME: Final = Rule.same


@dataclass(frozen=True)
class Transition:
    source: AuctionStatus
    event: AuctionEvent
    target: AuctionStatus | Rule
    kind: str | None  # None: no entry of its own (see the module docstring)


@dataclass(frozen=True)
class BidTransition:
    source: BidStatus
    event: BidEvent
    target: BidStatus
    kind: str | None


_S, _E, _B, _BE = AuctionStatus, AuctionEvent, BidStatus, BidEvent

TRANSITIONS: Final[dict[tuple[AuctionStatus, AuctionEvent], Transition]] = {
    (t.source, t.event): t
    for t in (
        Transition(_S.committing, _E.close_commits, _S.revealing, None),
        Transition(_S.committing, _E.commit, SAME, "auction.bid_committed"),
        Transition(_S.committing, _E.cancel, _S.cancelled, "auction.cancelled"),
        Transition(_S.revealing, _E.reveal, SAME, "auction.bid_revealed"),
        Transition(_S.revealing, _E.resolve, _S.resolved, RESOLVED_KIND),
        Transition(_S.revealing, _E.no_sale, _S.no_sale, RESOLVED_KIND),
    )
}

BID_TRANSITIONS: Final[dict[tuple[BidStatus, BidEvent], BidTransition]] = {
    (t.source, t.event): t
    for t in (
        BidTransition(_B.committed, _BE.reveal, _B.revealed, "auction.bid_revealed"),
        BidTransition(_B.revealed, _BE.reject, _B.rejected, None),
        BidTransition(_B.committed, _BE.forfeit, _B.forfeited, None),
    )
}

#: How a refusal reads, by event; ``{state}`` is the auction's state.
_REFUSALS: Final[dict[AuctionEvent, str]] = {
    AuctionEvent.close_commits: "the auction is {state}; its commit window is not open",
    AuctionEvent.commit: (
        "cannot commit a bid to an auction that is {state}; bids are taken only while it is "
        "committing (before the commit deadline)"
    ),
    AuctionEvent.reveal: (
        "cannot reveal a bid in an auction that is {state}; reveals are taken only while it is "
        "revealing (after the commit deadline, before the reveal deadline)"
    ),
    AuctionEvent.resolve: "cannot resolve an auction that is {state}; it must be revealing",
    AuctionEvent.no_sale: "cannot resolve an auction that is {state}; it must be revealing",
    AuctionEvent.cancel: (
        "cannot cancel an auction that is {state}; only an auction still committing, with no "
        "bid, can be cancelled"
    ),
}


def current(auction: Auction, now: datetime) -> AuctionStatus:
    """The auction's state at ``now``: a stored ``committing`` past its commit deadline is
    ``revealing``. Does not change the row."""
    stored = AuctionStatus(auction.status)
    if stored is AuctionStatus.committing and now >= as_utc(auction.commit_deadline):
        target = TRANSITIONS[(stored, AuctionEvent.close_commits)].target
        assert isinstance(target, AuctionStatus)
        return target
    return stored


def resolution_due(auction: Auction, now: datetime) -> bool:
    """Whether the auction still awaits a result that the clock has made due."""
    return current(auction, now) is AuctionStatus.revealing and now >= as_utc(
        auction.reveal_deadline
    )


def refusal(state: AuctionStatus | str, event: AuctionEvent) -> str:
    return _REFUSALS[event].format(state=AuctionStatus(state))


def require(state: AuctionStatus, event: AuctionEvent) -> Transition:
    found = TRANSITIONS.get((state, event))
    if found is None:
        raise AuctionStateConflict(refusal(state, event))
    return found


def apply(auction: Auction, event: AuctionEvent, now: datetime) -> Transition:
    """Move the auction by ``event`` from its state at ``now``; return the transition (its
    ``kind`` is the entry the caller writes). 409 naming the state if the table refuses."""
    assert event is not AuctionEvent.close_commits, "the clock closes commits (see current)"
    transition = require(current(auction, now), event)
    if isinstance(transition.target, AuctionStatus):
        auction.status = transition.target
    return transition


def bid_refusal(state: BidStatus | str, event: BidEvent) -> str:
    return f"cannot {event.value} a bid that is {BidStatus(state)}"


def apply_bid(bid: AuctionBid, event: BidEvent) -> BidTransition:
    found = BID_TRANSITIONS.get((BidStatus(bid.status), event))
    if found is None:
        raise BidStateConflict(bid_refusal(bid.status, event))
    bid.status = found.target
    return found


__all__ = [
    "BID_TRANSITIONS",
    "INITIAL",
    "OPENED_KIND",
    "RESOLVED_KIND",
    "SAME",
    "TRANSITIONS",
    "AuctionEvent",
    "BidEvent",
    "BidTransition",
    "Rule",
    "Transition",
    "apply",
    "apply_bid",
    "bid_refusal",
    "current",
    "refusal",
    "require",
    "resolution_due",
]
