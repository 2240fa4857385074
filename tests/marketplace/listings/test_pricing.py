"""price_for for every price model: tables of worked cases, tier boundaries, and properties
(bounded Hypothesis runs) that hold for any model and quantity."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.listings.price_models import (
    Fixed,
    Metered,
    Negotiable,
    PublicData,
    Subscription,
    Tier,
    Tiered,
)
from marketplace.listings.pricing import (
    AMOUNT_MINOR_MAX,
    InvalidQuantity,
    PriceAboveCeiling,
    PriceOutOfRange,
    QuoteRequired,
    ceiling_minor,
    price_for,
)

MAX = 2**63 - 1
TWO_TIERS = Tiered(
    unit="row",
    tiers=[Tier(from_units=0, unit_price_minor=10), Tier(from_units=100, unit_price_minor=8)],
)
THREE_TIERS = Tiered(
    unit="api_call",
    tiers=[
        Tier(from_units=0, unit_price_minor=100),
        Tier(from_units=10, unit_price_minor=50),
        Tier(from_units=1000, unit_price_minor=20),
    ],
)
METERED = Metered(unit="row", unit_price_minor=3, cap_minor=1000)


@pytest.mark.parametrize(
    ("model", "quantity", "price"),
    [
        (Fixed(amount_minor=50_000), None, 50_000),
        (Fixed(amount_minor=50_000), 1, 50_000),
        (Fixed(amount_minor=MAX), 1, MAX),
        (Subscription(amount_minor=9_900, period="month"), None, 9_900),
        (Subscription(amount_minor=9_900, period="month"), 12, 118_800),
        (Subscription(amount_minor=25_000, period="quarter"), 4, 100_000),
        (METERED, 1, 3),
        (METERED, 333, 999),
        (METERED, 334, 1000),  # 1,002 capped
        (METERED, 10**18, 1000),  # far past the cap: still the cap, no overflow
        (Metered(unit="api_call", unit_price_minor=5000, cap_minor=20), 1, 20),
        (PublicData(cost_minor=10_000, margin_bp=800, price_minor=10_800), None, 10_800),
        (PublicData(cost_minor=10_000, margin_bp=800, price_minor=9_000), 1, 9_000),
    ],
)
def test_price_of_each_model(model: object, quantity: int | None, price: int) -> None:
    assert price_for(model, quantity) == price  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("units", "price"),
    [
        (1, 10),
        (100, 1_000),  # last unit of the first tier
        (101, 1_008),  # first unit of the second: only it is at 8
        (102, 1_016),
        (150, 1_400),  # 100 x 10 + 50 x 8, the docstring's example
    ],
)
def test_two_tiers_are_graduated_at_their_boundary(units: int, price: int) -> None:
    assert price_for(TWO_TIERS, units) == price


@pytest.mark.parametrize(
    ("units", "price"),
    [
        (1, 100),
        (10, 1_000),
        (11, 1_050),
        (1000, 1_000 + 990 * 50),
        (1001, 1_000 + 990 * 50 + 20),
        (5000, 1_000 + 990 * 50 + 4000 * 20),
    ],
)
def test_three_tiers_price__each_unit_in_its_tier(units: int, price: int) -> None:
    assert price_for(THREE_TIERS, units) == price


def test_negotiable_is_refused_with_quote_required() -> None:
    with pytest.raises(QuoteRequired, match=r"negotiable.*ask the supplier for a quote") as info:
        price_for(Negotiable(), 1)
    assert info.value.status == 409


@pytest.mark.parametrize(
    ("model", "quantity"),
    [
        (Fixed(amount_minor=100), 2),
        (PublicData(cost_minor=100, margin_bp=0, price_minor=100), 3),
        (Subscription(amount_minor=100, period="year"), 0),
        (METERED, 0),
        (METERED, -5),
        (TWO_TIERS, MAX + 1),
    ],
)
def test_a_quantity_the_model_cannot_sell_is_refused(model: object, quantity: int) -> None:
    with pytest.raises(InvalidQuantity, match="quantity must be") as info:
        price_for(model, quantity)  # type: ignore[arg-type]
    assert info.value.status == 422


@pytest.mark.parametrize(
    ("model", "quantity"),
    [
        (Subscription(amount_minor=MAX, period="month"), 2),
        (Subscription(amount_minor=2**62, period="year"), 2),
        (TWO_TIERS, MAX),
        (Tiered(unit="row", tiers=[Tier(from_units=0, unit_price_minor=MAX)]), 2),
    ],
)
def test_a_total_past_64_bits_is_refused_never_wrapped(model: object, quantity: int) -> None:
    with pytest.raises(PriceOutOfRange, match="exceeds the largest amount") as info:
        price_for(model, quantity)  # type: ignore[arg-type]
    assert info.value.status == 422


def test_the_largest_total_that_fits_is_accepted() -> None:
    assert price_for(Subscription(amount_minor=(MAX - 1) // 2, period="month"), 2) == MAX - 1


def test_public_data_above_its_ceiling_is_refused() -> None:
    over = PublicData.model_construct(cost_minor=10_000, margin_bp=800, price_minor=10_801)
    with pytest.raises(PriceAboveCeiling, match="10801 > 10800"):
        price_for(over, 1)


@pytest.mark.parametrize(
    ("cost", "margin_bp", "ceiling"),
    [
        (10_000, 800, 10_800),
        (999, 150, 1013),
        (1, 9_999, 1),
        (7, 0, 7),
        (MAX // 2, 10_000, MAX - 1),
    ],
)
def test_ceiling_is_cost_plus_margin_rounded_down(cost: int, margin_bp: int, ceiling: int) -> None:
    model = PublicData.model_construct(cost_minor=cost, margin_bp=margin_bp, price_minor=1)
    assert ceiling_minor(model) == ceiling


# --- properties ---------------------------------------------------------------------------

amounts = st.integers(min_value=1, max_value=MAX)
small_amounts = st.integers(min_value=1, max_value=10**6)


@st.composite
def tier_lists(draw: st.DrawFn) -> list[Tier]:
    """Valid tiers: the first from 0, later ones starting later and costing no more per unit."""
    starts = draw(st.lists(st.integers(1, 200), max_size=5, unique=True))
    prices = draw(st.lists(small_amounts, min_size=len(starts) + 1, max_size=len(starts) + 1))
    return [
        Tier(from_units=start, unit_price_minor=price)
        for start, price in zip([0, *sorted(starts)], sorted(prices, reverse=True), strict=True)
    ]


def _brute_force(tiers: list[Tier], units: int) -> int:
    """Each unit, one at a time, at the price of the last tier that has started."""
    return sum(
        [t for t in tiers if t.from_units <= position][-1].unit_price_minor
        for position in range(units)
    )


@settings(max_examples=200, deadline=None)
@given(tiers=tier_lists(), units=st.integers(min_value=1, max_value=400))
def test_graduated_total_is_the_sum_of_each_units_tier_price(tiers: list[Tier], units: int) -> None:
    assert price_for(Tiered(unit="row", tiers=tiers), units) == _brute_force(tiers, units)


@settings(max_examples=200, deadline=None)
@given(tiers=tier_lists(), units=st.integers(min_value=1, max_value=10**9))
def test_graduated_total_never_falls_when_buying_more(tiers: list[Tier], units: int) -> None:
    model = Tiered(unit="row", tiers=tiers)
    assert price_for(model, units + 1) > price_for(model, units)


@settings(max_examples=200, deadline=None)
@given(price=amounts, cap=amounts, units=st.integers(min_value=1, max_value=MAX))
def test_metered_is_never_above_its_cap(price: int, cap: int, units: int) -> None:
    total = price_for(Metered(unit="row", unit_price_minor=price, cap_minor=cap), units)
    assert total == min(price * units, cap)
    assert 1 <= total <= cap


@settings(max_examples=200, deadline=None)
@given(amount=amounts, periods=st.integers(min_value=1, max_value=MAX))
def test_subscription_is_per_period_or_refused_past_64_bits(amount: int, periods: int) -> None:
    model = Subscription(amount_minor=amount, period="month")
    if amount * periods <= AMOUNT_MINOR_MAX:
        assert price_for(model, periods) == amount * periods
    else:
        with pytest.raises(PriceOutOfRange):
            price_for(model, periods)


@settings(max_examples=200, deadline=None)
@given(
    cost=st.integers(min_value=1, max_value=10**15),
    margin_bp=st.integers(min_value=0, max_value=10_000),
    price=st.integers(min_value=1, max_value=3 * 10**15),
)
def test_public_data_is_never_charged_above_cost_plus_margin(
    cost: int, margin_bp: int, price: int
) -> None:
    model = PublicData.model_construct(cost_minor=cost, margin_bp=margin_bp, price_minor=price)
    ceiling = cost + cost * margin_bp // 10_000
    if price <= ceiling:
        assert price_for(model) == price
    else:
        with pytest.raises(PriceAboveCeiling):
            price_for(model)
