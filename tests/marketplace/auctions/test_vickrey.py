"""The Vickrey rule, case by case (the issue's cases) and as properties."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.auctions import vickrey
from marketplace.auctions.commitment import commitment
from marketplace.auctions.vickrey import Reveal, Rules, SealedBid, Verdict

T0 = datetime(2026, 1, 1, tzinfo=UTC)
COMMIT_END = T0 + timedelta(hours=1)
REVEAL_END = T0 + timedelta(hours=2)
IN_WINDOW = COMMIT_END + timedelta(minutes=5)
RESERVE = 1_000


def rules(reserve: int = RESERVE) -> Rules:
    return Rules(
        auction_id=9, reserve_minor=reserve, commit_deadline=COMMIT_END, reveal_deadline=REVEAL_END
    )


def bidder(n: int) -> str:
    return "0x" + f"{n:040x}"


def salt(n: int) -> str:
    return "0x" + f"{n:064x}"


@dataclass(frozen=True)
class B:
    """A bid in a case: committed ``committed``, revealed ``revealed`` at ``at`` (None: never)."""

    committed: int
    revealed: int | None = None
    at: datetime = IN_WINDOW
    wrong_salt: bool = False


def sealed(bids: list[B]) -> list[SealedBid]:
    out = []
    for i, b in enumerate(bids, start=1):
        reveal = None
        if b.revealed is not None:
            reveal = Reveal(b.revealed, salt(i + 1000 if b.wrong_salt else i), b.at)
        out.append(
            SealedBid(
                bid_id=i,
                seq=10 * i,
                bidder=bidder(i),
                commitment=commitment(9, bidder(i), b.committed, salt(i)),
                reveal=reveal,
            )
        )
    return out


@dataclass(frozen=True)
class Case:
    name: str
    bids: list[B]
    winner: int | None  # 1-based position in bids
    price: int | None
    verdicts: list[Verdict]


CASES = [
    Case(
        "tie bids: the earliest commitment wins and pays the tied amount",
        [B(1_500, 1_500), B(1_500, 1_500), B(1_200, 1_200)],
        1,
        1_500,
        [Verdict.valid] * 3,
    ),
    Case("a single bid pays the reserve", [B(5_000, 5_000)], 1, RESERVE, [Verdict.valid]),
    Case(
        "a bid below the reserve: no sale",
        [B(999, 999)],
        None,
        None,
        [Verdict.below_reserve],
    ),
    Case(
        "a bid below the reserve does not set the price",
        [B(999, 999), B(3_000, 3_000)],
        2,
        RESERVE,
        [Verdict.below_reserve, Verdict.valid],
    ),
    Case(
        "a revealed value that does not match its commit is rejected",
        [B(2_000, 9_000), B(1_500, 1_500)],
        2,
        RESERVE,
        [Verdict.mismatch, Verdict.valid],
    ),
    Case(
        "a reveal with another salt is rejected",
        [B(9_000, 9_000, wrong_salt=True), B(1_500, 1_500)],
        2,
        RESERVE,
        [Verdict.mismatch, Verdict.valid],
    ),
    Case(
        "a reveal after the reveal deadline is rejected",
        [B(9_000, 9_000, at=REVEAL_END), B(1_500, 1_500), B(1_200, 1_200)],
        2,
        1_200,
        [Verdict.late, Verdict.valid, Verdict.valid],
    ),
    Case(
        "a reveal before the commit deadline is rejected",
        [B(9_000, 9_000, at=COMMIT_END - timedelta(seconds=1)), B(1_500, 1_500)],
        2,
        RESERVE,
        [Verdict.early, Verdict.valid],
    ),
    Case(
        "highest wins and pays the second-highest",
        [B(2_000, 2_000), B(7_000, 7_000), B(4_000, 4_000)],
        2,
        4_000,
        [Verdict.valid] * 3,
    ),
    Case(
        "an unrevealed bid forfeits and does not count",
        [B(8_000), B(2_500, 2_500)],
        2,
        RESERVE,
        [Verdict.unrevealed, Verdict.valid],
    ),
    Case("no bids: no sale", [], None, None, []),
    Case(
        "a bid at the reserve wins at the reserve",
        [B(RESERVE, RESERVE)],
        1,
        RESERVE,
        [Verdict.valid],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_winner_and_price_are_right(case: Case) -> None:
    outcome = vickrey.resolve(rules(), sealed(case.bids))
    assert outcome.winner == case.winner
    assert outcome.price_minor == case.price
    assert outcome.sold is (case.winner is not None)
    assert [outcome.verdicts[i] for i in range(1, len(case.bids) + 1)] == case.verdicts
    assert outcome.forfeited == [
        i for i, v in enumerate(case.verdicts, start=1) if v in vickrey.FORFEITING
    ]


def test_the_order_bids_are_given_in_does_not_matter() -> None:
    bids = sealed([B(1_500, 1_500), B(1_500, 1_500), B(1_200, 1_200)])
    assert vickrey.resolve(rules(), bids) == vickrey.resolve(rules(), list(reversed(bids)))


@pytest.mark.parametrize(
    ("reserve", "bp", "minimum", "deposit"),
    [
        (10_000, 500, 100, 500),
        (1_000, 500, 100, 100),
        (1_001, 1, 0, 1),
        (2**63 - 1, 10_000, 0, 2**63 - 1),
    ],
)
def test_the_deposit_is_a_share_of_the_reserve_rounded_up_with_a_minimum(
    reserve: int, bp: int, minimum: int, deposit: int
) -> None:
    assert vickrey.deposit_minor(reserve, bp, minimum) == deposit


amounts = st.integers(min_value=1, max_value=2**63 - 1)


@settings(max_examples=200, deadline=None)
@given(
    reserve=amounts,
    bids=st.lists(st.tuples(amounts, st.booleans()), max_size=8),
)
def test_the_price_never_exceeds_the_winners_bid_nor_falls_below_the_reserve(
    reserve: int, bids: list[tuple[int, bool]]
) -> None:
    cases = [B(a, a if revealed else None) for a, revealed in bids]
    outcome = vickrey.resolve(rules(reserve), sealed(cases))
    eligible = [a for a, revealed in bids if revealed and a >= reserve]
    if not eligible:
        assert outcome.winner is None
        assert outcome.price_minor is None
        return
    assert outcome.winner is not None
    assert outcome.price_minor is not None
    won = cases[outcome.winner - 1].revealed
    assert won == max(eligible)
    assert reserve <= outcome.price_minor <= won
    assert outcome.price_minor == max([reserve, *sorted(eligible)[-2:-1]])
