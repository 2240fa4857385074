import pytest

from marketplace.cli.valuation import money
from marketplace.money import Currency, parse_amount


def test_minor_units_are_shown_at_the_currency_scale() -> None:
    assert Currency("CNY", 2).format(4_257_000_000) == "42,570,000.00 CNY"
    assert Currency("JPY", 0).format(1234) == "1,234 JPY"
    assert Currency("BHD", 3).format(-1500) == "-1.500 BHD"


def test_the_cli_shows_a_report_amount_at_the_report_s_own_scale() -> None:
    assert money(150, {"currency": "JPY", "currency_scale": 0}) == "150 JPY"
    assert money(150, {"currency": "CNY", "currency_scale": 2}) == "1.50 CNY"
    assert money(None, {"currency": "CNY", "currency_scale": 2}) == "no value"


def test_amounts_are_parsed_as_people_type_them() -> None:
    assert parse_amount("1,250.50", 2) == 125_050
    assert parse_amount("7", 2) == 700
    assert parse_amount("150", 0) == 150
    for bad in ("0", "-1", "1.234", "ten", "NaN", "Infinity", ""):
        with pytest.raises(ValueError, match=r"amount|decimals"):
            parse_amount(bad, 2)
