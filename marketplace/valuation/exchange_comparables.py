"""Active listings on this exchange as market-approach comparables (pure: the service reads the
listings and their quality reports).

A listing is a comparable only when what the approach compares is known: a one-off price
(fixed or public data: a price per period or per unit does not compare with the value of the
data), and a finished quality report of the listed revision with an overall score and a row
count above 0. Any other listing is left out, never filled in with guesses, so "insufficient
comparables" counts only real ones. Timeliness is judged only for data that declares an update
frequency; where the listed revision's was not judged, the comparable takes the subject's own
timeliness (factor 1: no evidence of a difference, no adjustment, as the cost approach treats a
missing score), and its reference says so.

The rights a licence grants, in the approach's terms (数据三权: holding 持有权, processing and use
加工使用权, operation 经营权): every licence grants processing and use; one that allows
redistribution or derivative works also grants operation (the buyer may run a data product on
it); an exclusive licence also grants holding (no one else holds the data under it).

Settled trades join them (``trade_comparable``): a trade of a listing with a one-off price is
compared at the amount paid, with the rights of the terms signed for it (a quote's narrower
ones where it came from a quote) and the quality report of the revision bought; it weighs by
its age, halving every ``valuation_trade_half_life_days`` (``trade_weight``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from pydantic import ValidationError

from marketplace import limits
from marketplace.listings.schemas import ListingPublic
from marketplace.listings.terms import Terms
from marketplace.quality.report import QualityReport
from marketplace.valuation.methods import Comparable, MarketInputs, Right

ONE_OFF_KINDS: Final = ("fixed", "public_data")
REFERENCE_LENGTH_MAX: Final = 200  # Comparable.reference's bound
PRICE_MINOR_MAX: Final = 10**15  # Comparable.price_minor's bound: a dearer listing is no comparable


def rights_granted(terms: Terms) -> frozenset[Right]:
    rights: set[Right] = {"processing_use"}
    if terms.redistribution or terms.derivatives:
        rights.add("operation")
    if terms.exclusive:
        rights.add("holding")
    return frozenset(rights)


def listing_comparable(
    listing: ListingPublic,
    theme: str | None,
    quality: QualityReport | None,
    subject: MarketInputs,
) -> Comparable | None:
    """The listing as a comparable marked ``source="exchange"``, its reference naming what it
    is (listing id, price, theme); None when it cannot be compared (see the module docstring)."""
    price = listing.headline_minor
    if listing.price_model.kind not in ONE_OFF_KINDS or not price or price > PRICE_MINOR_MAX:
        return None
    if quality is None:
        return None
    if not quality.overall or not quality.rows:
        return None
    judged = quality.dimension("timeliness").score
    reference = (
        f"active listing {listing.id} (asset {listing.asset_id}), "
        f"{listing.price_model.kind} price {price} minor {listing.currency}, "
        f"theme {theme or 'none'}"
        + ("" if judged else "; timeliness not judged: taken as the subject's")
    )
    return Comparable(
        price_minor=price,
        quality_score=Decimal(str(quality.overall)),
        timeliness_score=Decimal(str(judged)) if judged else subject.timeliness_score,
        volume_rows=quality.rows,
        rights=rights_granted(listing.terms),
        source="exchange",
        reference=reference[:REFERENCE_LENGTH_MAX],
    )


def trade_weight(settled_at: datetime, now: datetime) -> Decimal:
    """0.5 ** (age in days / half-life), 1 for a trade settled today (or, by clock skew,
    later); four decimals, at least 0.0001."""
    age_days = max(Decimal(0), Decimal((now - settled_at).total_seconds()) / 86_400)
    weight = Decimal("0.5") ** (age_days / limits.valuation_trade_half_life_days)
    return max(Decimal("0.0001"), min(Decimal(1), weight.quantize(Decimal("0.0001"))))


@dataclass(frozen=True)
class Trade:
    """What the service read of a settled trade for ``trade_comparable``."""

    order_id: int
    listing_id: int
    asset_id: int
    price_minor: int
    currency: str
    quantity: int
    purpose: str
    source: str  # listing | quote | auction
    terms: dict[str, Any]
    settled_at: datetime


def trade_comparable(
    trade: Trade,
    listing: ListingPublic,
    theme: str | None,
    quality: QualityReport | None,
    subject: MarketInputs,
    *,
    now: datetime,
) -> Comparable | None:
    """The trade as a comparable marked ``source="settled_trade"``, its reference naming the
    order, the listing, the day it settled and its terms; None when it cannot be compared (a
    listing not priced one-off, no finished quality report, terms that no longer read)."""
    if listing.price_model.kind not in ONE_OFF_KINDS or trade.price_minor > PRICE_MINOR_MAX:
        return None
    if trade.price_minor <= 0 or quality is None or not quality.overall or not quality.rows:
        return None
    try:
        terms = Terms.model_validate(trade.terms)
    except ValidationError:
        return None
    judged = quality.dimension("timeliness").score
    rights = rights_granted(terms)
    reference = (
        f"order {trade.order_id} of listing {trade.listing_id} (asset {trade.asset_id}), "
        f"settled {trade.settled_at.date().isoformat()}, {trade.source} price "
        f"{trade.price_minor} minor {trade.currency}, quantity {trade.quantity}, "
        f"{trade.purpose}, {terms.licence_duration_days} days, {'+'.join(sorted(rights))}, "
        f"theme {theme or 'none'}"
    )
    return Comparable(
        price_minor=trade.price_minor,
        quality_score=Decimal(str(quality.overall)),
        timeliness_score=Decimal(str(judged)) if judged else subject.timeliness_score,
        volume_rows=quality.rows,
        rights=rights,
        source="settled_trade",
        reference=reference[:REFERENCE_LENGTH_MAX],
        traded_at=trade.settled_at,
        weight=trade_weight(trade.settled_at, now),
    )


__all__ = [
    "ONE_OFF_KINDS",
    "Trade",
    "listing_comparable",
    "rights_granted",
    "trade_comparable",
    "trade_weight",
]
