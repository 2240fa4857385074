"""The exchange fee (pure): a rate in basis points by the asset's category, and the fee on a
price. The rounding is down (floor), in the supplier's favour: the fee is never more than the
rate says, and the supplier receives ``price - fee`` exactly, so the hold splits with nothing
left over."""

from __future__ import annotations

from collections.abc import Mapping

BP_PER_WHOLE = 10_000


def category_key(category: str | None) -> str:
    """How categories compare: trimmed and case-folded ("Transport " is "transport")."""
    return (category or "").strip().casefold()


def fee_bp(category: str | None, default_bp: int, by_category: Mapping[str, int]) -> int:
    """The rate for ``category``: the map's entry for it (keys compared as ``category_key``),
    else ``default_bp``."""
    wanted = category_key(category)
    if wanted:
        for key, bp in by_category.items():
            if category_key(key) == wanted:
                return bp
    return default_bp


def fee_minor(price_minor: int, bp: int) -> int:
    """floor(price * bp / 10000), in integers (no float ever touches money)."""
    assert price_minor >= 0, "a price is never negative"
    assert 0 <= bp <= BP_PER_WHOLE, "a fee is at most the whole price"
    return price_minor * bp // BP_PER_WHOLE
