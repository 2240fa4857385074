"""Money is integer minor units of a currency whose scale is a setting (CNY: 2, in fen)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


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
