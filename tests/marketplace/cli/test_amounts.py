"""Amounts on the command line are typed and read in the currency (``12.50``, ``12.50 CNY``),
with at most the currency's decimals; a wrong one ends the command with exit 2 and one line
that says why. The API's minor units never reach the user. (Each command's use of them:
test_books, test_listings, test_quotes, test_auctions, test_demands.)"""

from __future__ import annotations

from decimal import Decimal

import pytest
import typer

from marketplace.cli.amounts import minor_bound, minor_units, price_model
from marketplace.money import Currency

CNY = Currency("CNY", 2)
JPY = Currency("JPY", 0)


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("12.50", 1_250),
        ("12.5", 1_250),
        ("12", 1_200),
        ("1,250.50", 125_050),
        ("12.50 CNY", 1_250),
        ("12.50 cny", 1_250),
        ("CNY 0.01", 1),
        (" 7 ", 700),
    ],
    ids=lambda value: (
        str(value).strip().replace(" ", "_").replace(",", "")
        if isinstance(value, str)
        else str(value)
    ),
)
def test_amounts_in_the_currency_become_minor_units(text: str, minor: int) -> None:
    assert minor_units(text, CNY, option="--price") == minor


def _refusal(capsys: pytest.CaptureFixture[str], text: str, money: Currency = CNY) -> str:
    with pytest.raises(typer.Exit) as ended:
        minor_units(text, money, option="--price")
    assert ended.value.exit_code == 2
    return " ".join(capsys.readouterr().err.split())


def test_too_many_decimals_is_refused_naming_the_currencys_scale(
    capsys: pytest.CaptureFixture[str],
) -> None:
    said = _refusal(capsys, "12.505")
    assert "invalid amount for --price" in said
    assert "'12.505' has more than 2 decimals" in said
    assert "CNY amounts have at most 2 decimals, e.g. 1250.00" in said
    assert "JPY amounts have no decimals, e.g. 1250" in _refusal(capsys, "3.5", JPY)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0", "not a positive amount"),
        ("-3", "not a positive amount"),
        ("ten", "not an amount"),
        ("12.50 USD", "give an amount in CNY"),
        ("1e30", "more than the exchange can count"),
        ("NaN", "not a positive amount"),
    ],
    ids=["zero", "negative", "words", "other-currency", "overflow", "nan"],
)
def test_bad_amounts_are_refused_with_the_reason(
    capsys: pytest.CaptureFixture[str], text: str, reason: str
) -> None:
    assert reason in _refusal(capsys, text)


def test_a_bound_may_be_zero_but_not_negative(capsys: pytest.CaptureFixture[str]) -> None:
    assert minor_bound("0", CNY, option="--price-min") == 0
    assert minor_bound("0.00 CNY", CNY, option="--price-min") == 0
    assert minor_bound("99.99", CNY, option="--price-min") == 9_999
    with pytest.raises(typer.Exit):
        minor_bound("-1", CNY, option="--price-min")


def test_a_price_model_takes_amounts_in_the_currency() -> None:
    assert price_model(
        '{"kind": "metered", "unit": "row", "unit_price": "0.05", "cap": 500}', CNY
    ) == {"kind": "metered", "unit": "row", "unit_price_minor": 5, "cap_minor": 50_000}
    tiered = price_model(
        '{"kind": "tiered", "unit": "call", "tiers": [{"from_units": 0, "unit_price": 0.1},'
        ' {"from_units": 1000, "unit_price": "0.05"}]}',
        CNY,
    )
    assert tiered["tiers"] == [
        {"from_units": 0, "unit_price_minor": 10},
        {"from_units": 1000, "unit_price_minor": 5},
    ]
    public = price_model(
        '{"kind": "public_data", "cost": "1000", "margin_bp": 1000, "price": "1050.00"}', CNY
    )
    assert public == {
        "kind": "public_data", "cost_minor": 100_000, "margin_bp": 1000, "price_minor": 105_000,
    }  # fmt: skip
    assert price_model('{"kind": "negotiable"}', CNY) == {"kind": "negotiable"}
    assert Decimal("0.1").scaleb(2) == 10  # a JSON 0.1 is read as exactly 0.1, never a float


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"kind": "fixed", "amount_minor": 125000}', 'give "amount" in CNY'),
        ('{"kind": "fixed", "amount": "1.234"}', "more than 2 decimals"),
        ('{"kind": "fixed", "amount": true}', "is not an amount"),
        ('{"kind": "fixed", "amount": [1]}', "is not an amount"),
        ("[1, 2]", "a JSON object"),
        ("{kind: fixed}", "not JSON"),
    ],
    ids=["minor-units", "decimals", "boolean", "list", "not-an-object", "not-json"],
)
def test_a_bad_price_model_is_refused_with_the_reason(
    capsys: pytest.CaptureFixture[str], text: str, reason: str
) -> None:
    with pytest.raises(typer.Exit) as ended:
        price_model(text, CNY)
    assert ended.value.exit_code == 2
    assert reason in " ".join(capsys.readouterr().err.split())
