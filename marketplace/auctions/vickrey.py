"""The sealed-bid second-price (Vickrey) rule (pure: no database, no clock, no I/O).

Given an auction's rules and every committed bid with the reveal it received (if any), decide:

1. each bid's verdict. A reveal counts only if it opens its commitment (``commitment.matches``)
   and came in the reveal window, at or after the commit deadline and before the reveal
   deadline. A bid without a counting reveal is ``unrevealed`` and forfeits its deposit. A
   counting reveal below the reserve is ``below_reserve``: it cannot win and its deposit is
   returned. The rest are ``valid``.
2. the winner: the highest valid bid; between equal amounts the earliest commitment (the lowest
   journal seq) wins.
3. the price: the second-highest valid amount, never below the reserve; so a single valid bid
   pays the reserve and tied bids pay the tied amount. No valid bid: no sale.

The service feeds it what it stored; a verifier feeds it what it read from the journal
(``auction.opened``, ``auction.bid_committed``, ``auction.bid_revealed``) and compares the
result with ``auction.resolved``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from marketplace.auctions.commitment import matches


class Verdict(StrEnum):
    valid = "valid"
    below_reserve = "below_reserve"
    mismatch = "mismatch"  # the reveal does not open the commitment
    early = "early"  # revealed before the commit deadline
    late = "late"  # revealed at or after the reveal deadline
    unrevealed = "unrevealed"


#: Verdicts whose bid forfeits its deposit: it never opened its commitment in time.
FORFEITING = frozenset({Verdict.unrevealed, Verdict.mismatch, Verdict.early, Verdict.late})


@dataclass(frozen=True)
class Rules:
    auction_id: int
    reserve_minor: int
    commit_deadline: datetime
    reveal_deadline: datetime

    def __post_init__(self) -> None:
        assert self.reserve_minor >= 1, self.reserve_minor
        assert self.commit_deadline < self.reveal_deadline


@dataclass(frozen=True)
class Reveal:
    amount_minor: int
    salt: str
    at: datetime


@dataclass(frozen=True)
class SealedBid:
    bid_id: int
    seq: int  # the journal seq of its commitment: earlier wins a tie
    bidder: str  # the EVM address the commitment binds
    commitment: str
    reveal: Reveal | None = None


@dataclass(frozen=True)
class Outcome:
    verdicts: dict[int, Verdict]  # bid id → verdict
    ranking: list[int]  # valid bid ids, best first
    winner: int | None
    price_minor: int | None

    @property
    def sold(self) -> bool:
        return self.winner is not None

    @property
    def forfeited(self) -> list[int]:
        """The bids that forfeit their deposit, by bid id."""
        return sorted(b for b, v in self.verdicts.items() if v in FORFEITING)


def deposit_minor(reserve_minor: int, deposit_bp: int, deposit_minor_min: int) -> int:
    """The deposit a bidder owes: ``deposit_bp`` basis points of the reserve, rounded up, at
    least ``deposit_minor_min``, at most 2**63-1."""
    assert reserve_minor >= 1, reserve_minor
    assert 0 <= deposit_bp <= 10_000, deposit_bp
    share = -(-reserve_minor * deposit_bp // 10_000)
    return min(max(share, deposit_minor_min), 2**63 - 1)


def verdict(rules: Rules, bid: SealedBid) -> Verdict:
    reveal = bid.reveal
    if reveal is None:
        return Verdict.unrevealed
    if reveal.at < rules.commit_deadline:
        return Verdict.early
    if reveal.at >= rules.reveal_deadline:
        return Verdict.late
    if not matches(bid.commitment, rules.auction_id, bid.bidder, reveal.amount_minor, reveal.salt):
        return Verdict.mismatch
    if reveal.amount_minor < rules.reserve_minor:
        return Verdict.below_reserve
    return Verdict.valid


def resolve(rules: Rules, bids: Sequence[SealedBid]) -> Outcome:
    """The outcome of the auction: every bid's verdict, the winner and the price."""
    assert len({b.bid_id for b in bids}) == len(bids), "bid ids are unique"
    assert len({b.seq for b in bids}) == len(bids), "commit seqs are unique"
    verdicts = {b.bid_id: verdict(rules, b) for b in bids}
    valid = [b for b in bids if verdicts[b.bid_id] is Verdict.valid]
    ranked = sorted(valid, key=lambda b: (-_amount(b), b.seq))
    if not ranked:
        return Outcome(verdicts, [], None, None)
    second = _amount(ranked[1]) if len(ranked) > 1 else rules.reserve_minor
    price = max(second, rules.reserve_minor)
    winner = ranked[0]
    assert rules.reserve_minor <= price <= _amount(winner)
    return Outcome(verdicts, [b.bid_id for b in ranked], winner.bid_id, price)


def _amount(bid: SealedBid) -> int:
    assert bid.reveal is not None
    return bid.reveal.amount_minor


__all__ = [
    "FORFEITING",
    "Outcome",
    "Reveal",
    "Rules",
    "SealedBid",
    "Verdict",
    "deposit_minor",
    "resolve",
    "verdict",
]
