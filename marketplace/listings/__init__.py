"""Listings: an approved asset offered under signed ODRL-style terms and a price model.

Pure modules: ``terms`` (the usage policy, plain words, refusals, ODRL), ``price_models`` (the
price models, the headline price, plain words), ``offer`` (the EIP-712 offer a supplier signs),
``lifecycle`` (the listing lifecycle as data).
"""

from marketplace.listings.price_models import PriceModel, describe, headline_minor
from marketplace.listings.terms import Purpose, Terms, odrl, plain_words, refusal

__all__ = [
    "PriceModel",
    "Purpose",
    "Terms",
    "describe",
    "headline_minor",
    "odrl",
    "plain_words",
    "refusal",
]
