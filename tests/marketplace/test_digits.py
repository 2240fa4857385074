"""Numbers written in text are read one way everywhere: ASCII digits, at most 19 of them."""

import pytest

from marketplace.digits import DIGITS_MAX, ascii_digits, whole_number


@pytest.mark.parametrize(
    ("text", "number"),
    [("0", 0), ("42", 42), ("9" * DIGITS_MAX, int("9" * DIGITS_MAX)), ("007", 7)],
)
def test_ascii_digits_up_to_nineteen_are_read(text: str, number: int) -> None:
    assert ascii_digits(text)
    assert whole_number(text) == number


@pytest.mark.parametrize("text", ["", "\u00b2", "1.0", " 1", "+1", "-1", "1e3", "\u0661"])
def test_anything_else_is_no_number(text: str) -> None:
    assert not ascii_digits(text)
    assert whole_number(text) is None


def test_more_digits_than_any_64_bit_value_are_no_number() -> None:
    assert ascii_digits("9" * 5000)
    assert whole_number("9" * (DIGITS_MAX + 1)) is None
    assert whole_number("9" * 5000) is None  # int() would refuse it with a ValueError
