"""How a ruling divides the money (docs/disputes.md, "Execution" and "Fees"). Pure: integers in
minor units, every division rounded down, and the rest always to the buyer (the payer), so the
shares add up to the amount exactly.

A ruling gives the supplier ``supplier_bp`` basis points (0 to 10,000) of the price:

* the supplier's gross share is ``floor(price * bp / 10000)``;
* the exchange keeps ``floor(fee * bp / 10000)`` of the order's fee (pro rata), taken from that
  share, so the supplier nets ``gross - fee kept``;
* the buyer gets the rest, ``price - gross``.

Release (10,000) is settlement as usual (price - fee to the supplier, the fee to the exchange);
refund (0) is everything back to the buyer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

BP_MAX: Final = 10_000


@dataclass(frozen=True)
class Shares:
    """An order's price divided: the supplier's net share, the exchange's fee kept, the buyer's
    share. They add up to the price."""

    supplier_minor: int
    fee_minor: int
    buyer_minor: int


def check_bp(supplier_bp: int) -> int:
    if isinstance(supplier_bp, bool) or not 0 <= supplier_bp <= BP_MAX:
        raise ValueError(f"supplier_bp lies between 0 and {BP_MAX}")
    return supplier_bp


def order_shares(price_minor: int, fee_minor: int, supplier_bp: int) -> Shares:
    """The price divided by the ruling (see the module docstring)."""
    check_bp(supplier_bp)
    assert 0 <= fee_minor <= price_minor
    gross = price_minor * supplier_bp // BP_MAX
    kept = fee_minor * supplier_bp // BP_MAX
    return Shares(supplier_minor=gross - kept, fee_minor=kept, buyer_minor=price_minor - gross)


@dataclass(frozen=True)
class Clawback:
    """A clawed-back settled trade divided: of the clawback hold (the supplier's ``price - fee``)
    ``to_buyer_minor`` goes to the buyer and the rest back to the supplier; fee revenue returns
    ``fee_returned_minor`` to the buyer."""

    to_buyer_minor: int
    to_supplier_minor: int
    fee_returned_minor: int


def clawback_shares(price_minor: int, fee_minor: int, supplier_bp: int) -> Clawback:
    """The same end as ``order_shares`` from a settled trade: the supplier ends with its net
    share, the exchange with its fee kept, the buyer with its share of the price."""
    shares = order_shares(price_minor, fee_minor, supplier_bp)
    held = price_minor - fee_minor
    return Clawback(
        to_buyer_minor=held - shares.supplier_minor,
        to_supplier_minor=shares.supplier_minor,
        fee_returned_minor=fee_minor - shares.fee_minor,
    )


def forfeited(fee_minor: int, *, buyer: bool, supplier_bp: int) -> int:
    """What a side forfeits of the arbitration fee it paid, in the proportion it lost: the
    buyer ``floor(fee * bp / 10000)``, the supplier ``floor(fee * (10000 - bp) / 10000)``; the
    rest is returned to it."""
    check_bp(supplier_bp)
    lost = supplier_bp if buyer else BP_MAX - supplier_bp
    return fee_minor * lost // BP_MAX


def outcome_bp(outcome: str, supplier_bp: int | None) -> int:
    """The supplier's basis points a ruling gives: 10,000 for release, 0 for refund, the split's
    own otherwise. ValueError when they contradict or a split names none."""
    if outcome == "release":
        if supplier_bp not in (None, BP_MAX):
            raise ValueError("a release gives the supplier 10000 bp; send split for less")
        return BP_MAX
    if outcome == "refund":
        if supplier_bp not in (None, 0):
            raise ValueError("a refund gives the supplier 0 bp; send split for more")
        return 0
    if supplier_bp is None:
        raise ValueError("a split names supplier_bp")
    return check_bp(supplier_bp)


def outcome_of(supplier_bp: int) -> str:
    """The outcome a number of basis points is: release, refund or split."""
    return {BP_MAX: "release", 0: "refund"}.get(check_bp(supplier_bp), "split")


def panel_ruling(votes: list[int]) -> int | None:
    """The panel's supplier_bp from its votes so far (docs/disputes.md, "Appeal"): two equal
    votes decide; with three votes all different, the median decides; otherwise None (wait)."""
    for bp in votes:
        if votes.count(bp) >= 2:
            return bp
    if len(votes) >= 3:
        return sorted(votes)[len(votes) // 2]
    return None
