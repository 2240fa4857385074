"""Numbers written in text (an id in a path, a cursor, a header's length), read one way
everywhere. Pure."""

from __future__ import annotations

from typing import Final

DIGITS_MAX: Final = 19  # the decimal digits of any 64-bit id, count or length


def ascii_digits(text: str) -> bool:
    """Whether ``text`` is written in ASCII digits only (``str.isdigit`` also takes "²", which
    ``int`` refuses)."""
    return text.isascii() and text.isdigit()


def whole_number(text: str) -> int | None:
    """The number ``text`` writes in 1 to ``DIGITS_MAX`` ASCII digits; None otherwise (more is
    past any 64-bit value, and ``int`` refuses more than 4,300 digits)."""
    return int(text) if ascii_digits(text) and len(text) <= DIGITS_MAX else None
