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

Settled trades join these once orders settle (the orders issue), through the valuation
repository's ``market_comparables`` seam.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

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


__all__ = ["ONE_OFF_KINDS", "listing_comparable", "rights_granted"]
