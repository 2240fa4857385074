"""Price models: the headline price each shows, their plain words, the public-data ceiling, and
amounts as the journal holds them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from marketplace.listings import price_models
from marketplace.listings.price_models import (
    Fixed,
    Metered,
    Negotiable,
    PublicData,
    Subscription,
    Tier,
    Tiered,
)
from marketplace.money import Currency

CNY = Currency("CNY", 2)
TOP = 2**63 - 1


def test_the_headline_is_what_a_buyer_pays_first() -> None:
    assert price_models.headline_minor(Fixed(amount_minor=500)) == 500
    assert price_models.headline_minor(Subscription(amount_minor=90, period="year")) == 90
    assert price_models.headline_minor(Metered(unit="row", unit_price_minor=3, cap_minor=300)) == 3
    tiered = Tiered(
        unit="row",
        tiers=[Tier(from_units=0, unit_price_minor=9), Tier(from_units=100, unit_price_minor=4)],
    )
    assert price_models.headline_minor(tiered) == 9
    assert price_models.headline_minor(Negotiable()) is None
    public = PublicData(cost_minor=1000, margin_bp=500, price_minor=1020)
    assert price_models.headline_minor(public) == 1020


def test_the_public_data_ceiling_is_cost_plus_margin_rounded_down() -> None:
    assert price_models.ceiling_minor(1000, 1000) == 1100
    assert price_models.ceiling_minor(999, 1) == 999  # 0.0999 rounds down
    assert price_models.ceiling_minor(TOP, 10_000) == TOP  # never beyond 64 bits
    assert PublicData(cost_minor=1000, margin_bp=1000, price_minor=1100).ceiling_minor == 1100
    with pytest.raises(ValidationError, match="exceeds the public-data ceiling 1100"):
        PublicData(cost_minor=1000, margin_bp=1000, price_minor=1101)


def test_amounts_are_strict_64_bit_integers() -> None:
    assert Fixed(amount_minor=TOP).amount_minor == TOP
    for bad in (0, -1, TOP + 1, "5", 2.0, True):
        with pytest.raises(ValidationError):
            price_models.parse({"kind": "fixed", "amount_minor": bad})


def test_subscriptions_do_not_renew_unless_asked() -> None:
    model = price_models.parse({"kind": "subscription", "amount_minor": 5, "period": "quarter"})
    assert isinstance(model, Subscription)
    assert model.auto_renew is False


def test_plain_words() -> None:
    assert price_models.describe(Fixed(amount_minor=123_456), CNY) == "1,234.56 CNY, paid once"
    renewing = Subscription(amount_minor=100, period="year", auto_renew=True)
    assert price_models.describe(renewing, CNY) == "1.00 CNY per year; renews automatically"
    metered = Metered(unit="row", unit_price_minor=1, cap_minor=10_000)
    assert price_models.describe(metered, CNY) == "0.01 CNY per row, at most 100.00 CNY per month"
    tiered = Tiered(
        unit="api_call",
        tiers=[Tier(from_units=0, unit_price_minor=10), Tier(from_units=1, unit_price_minor=5)],
    )
    assert price_models.describe(tiered, CNY) == (
        "0.10 CNY per API call; 0.05 CNY per API call from 1 API call on"
    )


def test_the_journal_holds_amounts_as_strings() -> None:
    tiered = Tiered(unit="row", tiers=[Tier(from_units=0, unit_price_minor=TOP)])
    assert price_models.journal_form(tiered) == {
        "kind": "tiered",
        "unit": "row",
        "tiers": [{"from_units": "0", "unit_price_minor": str(TOP)}],
    }
    public = PublicData(cost_minor=10, margin_bp=100, price_minor=10)
    assert price_models.journal_form(public)["margin_bp"] == 100
