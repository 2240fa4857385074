"""Active listings as market-approach comparables (pure): which listings compare, what they are
marked, and the rights a licence grants."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from marketplace.listings.price_models import Fixed, Negotiable, PublicData, Subscription
from marketplace.listings.schemas import ListingPublic
from marketplace.listings.terms import Terms
from marketplace.quality.report import DimensionResult, QualityReport
from marketplace.valuation.exchange_comparables import listing_comparable, rights_granted
from marketplace.valuation.methods import MarketInputs, market_approach

TERMS: dict[str, Any] = {
    "purposes": ["research"],
    "licence_duration_days": 365,
    "territory": ["CN"],
    "redistribution": False,
    "derivatives": False,
    "max_downloads": 5,
    "exclusive": False,
    "delivery_mode": "download",
    "acceptance_window_h": 72,
    "dispute_window_h": 168,
}
SUBJECT = MarketInputs(
    quality_score=Decimal(90),
    timeliness_score=Decimal(80),
    volume_rows=40_000,
    rights=frozenset({"processing_use"}),
)


def listing(price_model: Any, headline: int | None, **terms: Any) -> ListingPublic:
    return ListingPublic.model_construct(
        id=31,
        asset_id=20,
        revision=1,
        headline_minor=headline,
        currency="CNY",
        price_model=price_model,
        terms=Terms(**{**TERMS, **terms}),
    )


def quality(
    overall: float | None = 90, timeliness: float | None = 80, rows: int | None = 10_000
) -> QualityReport:
    dimensions = [
        DimensionResult(name="timeliness", judged=timeliness is not None, score=timeliness)
    ]
    return QualityReport.model_construct(overall=overall, rows=rows, dimensions=dimensions)


def test_a_fixed_price_listing_is_an_exchange_comparable_naming_what_it_is() -> None:
    found = listing_comparable(
        listing(Fixed(amount_minor=1_000_000), 1_000_000), "agriculture", quality(), SUBJECT
    )
    assert found is not None
    assert found.source == "exchange"
    assert found.reference == (
        "active listing 31 (asset 20), fixed price 1000000 minor CNY, theme agriculture"
    )
    assert (found.price_minor, found.volume_rows) == (1_000_000, 10_000)
    assert (found.quality_score, found.timeliness_score) == (Decimal(90), Decimal(80))


def test_unjudged_timeliness_takes_the_subjects_and_says_so() -> None:
    found = listing_comparable(
        listing(Fixed(amount_minor=500), 500), None, quality(timeliness=None), SUBJECT
    )
    assert found is not None
    assert found.timeliness_score == SUBJECT.timeliness_score
    assert found.reference.endswith("theme none; timeliness not judged: taken as the subject's")


@pytest.mark.parametrize(
    ("price_model", "headline", "report"),
    [
        (Subscription(amount_minor=900, period="month"), 900, quality()),  # per period
        (Negotiable(), None, quality()),  # no price
        (Fixed(amount_minor=10**15 + 1), 10**15 + 1, quality()),  # past Comparable's bound
        (Fixed(amount_minor=500), 500, None),  # no finished quality report
        (Fixed(amount_minor=500), 500, quality(overall=None)),
        (Fixed(amount_minor=500), 500, quality(rows=None)),  # volume unknown (opaque file)
    ],
)
def test_listings_that_cannot_be_compared_are_left_out(
    price_model: Any, headline: int | None, report: QualityReport | None
) -> None:
    assert listing_comparable(listing(price_model, headline), "x", report, SUBJECT) is None


def test_a_public_data_price_compares() -> None:
    model = PublicData(cost_minor=1000, margin_bp=500, price_minor=1050)
    found = listing_comparable(listing(model, 1050), "x", quality(), SUBJECT)
    assert found is not None
    assert found.reference.startswith("active listing 31 (asset 20), public_data price 1050")


@pytest.mark.parametrize(
    ("terms", "rights"),
    [
        ({}, {"processing_use"}),
        ({"redistribution": True}, {"processing_use", "operation"}),
        ({"derivatives": True}, {"processing_use", "operation"}),
        ({"exclusive": True}, {"processing_use", "holding"}),
        (
            {"exclusive": True, "redistribution": True},
            {"processing_use", "operation", "holding"},
        ),
    ],
)
def test_rights_a_licence_grants(terms: dict[str, Any], rights: set[str]) -> None:
    assert rights_granted(Terms(**{**TERMS, **terms})) == rights


def test_two_listings_are_still_insufficient_comparables() -> None:
    two = [
        listing_comparable(listing(Fixed(amount_minor=p), p), "x", quality(), SUBJECT)
        for p in (1000, 2000)
    ]
    result = market_approach(SUBJECT.model_copy(update={"comparables": two}))
    assert result.value_minor is None
    assert result.note == "insufficient comparables: 2 of at least 3"
