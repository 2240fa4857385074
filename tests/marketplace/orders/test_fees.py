"""The exchange fee: the rate by category, floor rounding, and the split always adds up."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.orders.fees import fee_bp, fee_minor
from marketplace.settings import Settings

PRICE_MAX = 2**63 - 1


@pytest.mark.parametrize(
    ("price", "bp", "fee"),
    [
        (125_000, 250, 3_125),  # 2.5 % of 1,250.00
        (99, 250, 2),  # 2.475 → 2: rounded down
        (39, 250, 0),  # under one fen of fee: none
        (1, 10_000, 1),  # all of it
        (PRICE_MAX, 10_000, PRICE_MAX),
        (PRICE_MAX, 1, PRICE_MAX // 10_000),
        (125_000, 0, 0),
    ],
)
def test_the_fee_is_the_rate_of_the_price_rounded_down(price: int, bp: int, fee: int) -> None:
    assert fee_minor(price, bp) == fee


@given(st.integers(0, PRICE_MAX), st.integers(0, 10_000))
def test_fee_and_payout_add_up_to_the_price_and_the_fee_never_exceeds_the_rate(
    price: int, bp: int
) -> None:
    fee = fee_minor(price, bp)
    assert 0 <= fee <= price
    assert fee * 10_000 <= price * bp < (fee + 1) * 10_000
    assert (price - fee) + fee == price


def test_the_rate_is_the_category_s_else_the_default() -> None:
    rates = {"Transport": 100, "health": 500}
    assert fee_bp("transport", 250, rates) == 100
    assert fee_bp(" HEALTH ", 250, rates) == 500
    assert fee_bp("finance", 250, rates) == 250
    assert fee_bp(None, 250, rates) == 250
    assert fee_bp("", 250, {"": 1}) == 250


def test_the_settings_take_a_json_map_and_refuse_a_rate_above_the_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABOURSE_EXCHANGE_FEE_BP_BY_CATEGORY", '{"transport": 100}')
    assert Settings().exchange_fee_bp_by_category == {"transport": 100}
    monkeypatch.setenv("DATABOURSE_EXCHANGE_FEE_BP_BY_CATEGORY", '{"transport": 10001}')
    with pytest.raises(ValueError, match="between 0 and 10000"):
        Settings()
    monkeypatch.delenv("DATABOURSE_EXCHANGE_FEE_BP_BY_CATEGORY")
    monkeypatch.setenv("DATABOURSE_EXCHANGE_FEE_BP", "-1")
    with pytest.raises(ValueError, match="exchange_fee_bp"):
        Settings()
