"""The division of a ruling (``disputes.fees``), checked exhaustively over small cases: shares
add up exactly, the ends are settlement and refund, and every share grows with the basis
points given to its side."""

from __future__ import annotations

import pytest

from marketplace.disputes import fees


def cases() -> list[tuple[int, int, int]]:
    bps = [0, 1, 2, 3333, 4999, 5000, 5001, 9999, 10_000]
    return [(p, f, b) for p in range(0, 41, 7) for f in range(0, p + 1, 3) for b in bps]


@pytest.mark.parametrize(("price", "fee", "bp"), cases())
def test_the_shares_add_up_and_the_ends_are_settlement_and_refund(
    price: int, fee: int, bp: int
) -> None:
    s = fees.order_shares(price, fee, bp)
    assert s.supplier_minor + s.fee_minor + s.buyer_minor == price
    assert min(s.supplier_minor, s.fee_minor, s.buyer_minor) >= 0
    assert s.buyer_minor == price - price * bp // 10_000
    if bp == 10_000:
        assert s == fees.Shares(price - fee, fee, 0)
    if bp == 0:
        assert s == fees.Shares(0, 0, price)
    c = fees.clawback_shares(price, fee, bp)
    assert c.to_buyer_minor + c.to_supplier_minor == price - fee  # the clawback hold, all of it
    assert c.to_supplier_minor == s.supplier_minor
    assert c.to_buyer_minor + c.fee_returned_minor == s.buyer_minor  # the same end
    assert fee - c.fee_returned_minor == s.fee_minor
    assert min(c.to_buyer_minor, c.fee_returned_minor) >= 0


def test_shares_grow_with_the_basis_points() -> None:
    for price in range(30):
        for fee in range(price + 1):
            last = fees.order_shares(price, fee, 0)
            for bp in range(1, 10_001, 97):
                now = fees.order_shares(price, fee, bp)
                assert now.buyer_minor <= last.buyer_minor
                assert now.supplier_minor + now.fee_minor >= last.supplier_minor + last.fee_minor
                last = now


def test_arbitration_fees_are_forfeited_in_the_proportion_lost() -> None:
    for fee in range(50):
        assert fees.forfeited(fee, buyer=True, supplier_bp=10_000) == fee  # the buyer lost
        assert fees.forfeited(fee, buyer=False, supplier_bp=10_000) == 0
        assert fees.forfeited(fee, buyer=True, supplier_bp=0) == 0
        assert fees.forfeited(fee, buyer=False, supplier_bp=0) == fee
        for bp in range(0, 10_001, 250):
            buyer = fees.forfeited(fee, buyer=True, supplier_bp=bp)
            supplier = fees.forfeited(fee, buyer=False, supplier_bp=bp)
            assert buyer == fee * bp // 10_000
            assert supplier == fee * (10_000 - bp) // 10_000
    assert fees.forfeited(10_000, buyer=True, supplier_bp=3000) == 3000


def test_outcomes_and_basis_points() -> None:
    assert fees.outcome_bp("release", None) == 10_000
    assert fees.outcome_bp("refund", 0) == 0
    assert fees.outcome_bp("split", 3000) == 3000
    for bad in (
        ("release", 5000),
        ("refund", 1),
        ("split", None),
        ("split", 10_001),
        ("split", -1),
    ):
        with pytest.raises(ValueError, match=r"bp"):
            fees.outcome_bp(*bad)
    assert [fees.outcome_of(b) for b in (0, 1, 9999, 10_000)] == [
        "refund",
        "split",
        "split",
        "release",
    ]


def test_the_panel_decides_by_two_identical_votes_else_the_median() -> None:
    assert fees.panel_ruling([3000]) is None
    assert fees.panel_ruling([3000, 0]) is None
    assert fees.panel_ruling([3000, 3000]) == 3000
    assert fees.panel_ruling([3000, 0, 3000]) == 3000
    assert fees.panel_ruling([0, 10_000, 4000]) == 4000  # all different: the median
    assert fees.panel_ruling([10_000, 0, 10_000]) == 10_000
