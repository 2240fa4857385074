"""Money is integer minor units of a currency whose scale is a setting (CNY: 2, in fen)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class Currency:
    """A currency and its minor-unit scale: an amount of 1 is 10**-scale units of ``code``."""

    code: str
    scale: int

    def format(self, minor: int) -> str:
        """``1234567`` fen as ``12,345.67 CNY``."""
        return f"{Decimal(minor).scaleb(-self.scale):,.{self.scale}f} {self.code}"


def amount_text(minor: int | None, currency: str, scale: int) -> str:
    """``42570000`` fen → ``425,700.00 CNY``; an amount that is not there says so."""
    return "no value" if minor is None else Currency(currency, scale).format(minor)


def parse_amount(text: str, scale: int) -> int:
    """``"12,345.67"`` at scale 2 → ``1234567`` minor units. Refuses (ValueError) anything but a
    positive decimal number with at most ``scale`` decimals."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{text!r} is not a positive amount")
    minor = value.scaleb(scale)
    if minor != minor.to_integral_value():
        raise ValueError(f"{text!r} has more than {scale} decimals")
    return int(minor)
