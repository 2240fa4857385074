"""What terms a quote may offer against its listing's: the listing's own or narrower, field by
field; anything wider is named."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.listings.terms import Terms
from marketplace.quotes.narrowing import widenings
from tests.marketplace.listings.helpers import terms

LISTING = Terms.model_validate(terms())


def _quote(**changes: Any) -> Terms:
    return Terms.model_validate(terms(**changes))


def test_the_listings_own_terms_are_not_wider() -> None:
    assert widenings(LISTING, LISTING) == []


@pytest.mark.parametrize(
    "narrower",
    [
        {"purposes": ["research"]},
        {"licence_duration_days": 30},
        {"derivatives": False},
        {"max_downloads": 1},
    ],
)
def test_narrower_terms_are_allowed(narrower: dict[str, Any]) -> None:
    assert widenings(_quote(**narrower), LISTING) == []


def test_under_a_worldwide_unlimited_listing_any_territory_and_bound_narrows() -> None:
    listing = Terms.model_validate(terms(territory=["worldwide"], max_downloads=None))
    assert widenings(_quote(territory=["CN", "FR"], max_downloads=3), listing) == []
    assert widenings(Terms.model_validate(terms(territory=["worldwide"])), listing) == []


@pytest.mark.parametrize(
    ("wider", "named"),
    [
        ({"purposes": ["research", "ai_training"]}, "purposes ai_training"),
        ({"licence_duration_days": 400}, "400 days is longer than the listing's 365"),
        ({"territory": ["worldwide"]}, "territory worldwide reaches beyond the listing's CN"),
        ({"territory": ["CN", "JP"]}, "territory CN, JP"),
        ({"redistribution": True}, "the listing does not allow redistribution"),
        ({"max_downloads": None}, "unlimited downloads exceed the listing's 5"),
        ({"max_downloads": 6}, "6 downloads exceed the listing's 5"),
        ({"exclusive": True}, "exclusive must be the listing's (False)"),
        ({"delivery_mode": "key_wrapped"}, "delivery_mode must be the listing's (download)"),
        ({"acceptance_window_h": 1}, "acceptance_window_h must be the listing's (72)"),
        ({"dispute_window_h": 500}, "dispute_window_h must be the listing's (168)"),
    ],
)
def test_each_wider_field_is_named(wider: dict[str, Any], named: str) -> None:
    found = widenings(_quote(**wider), LISTING)
    assert len(found) == 1
    assert named in found[0]


def test_every_widening_is_named_at_once() -> None:
    found = widenings(_quote(redistribution=True, licence_duration_days=999), LISTING)
    assert len(found) == 2
