"""Quotes: a supplier answers a buyer's demand with a signed price and terms for one of its
listings; the demand's owner accepts one (which places the order) or rejects them; quotes are
withdrawn by their supplier or expire. The lifecycle is ``lifecycle.py``; the signed offer is
``offer.py``; what a quote's terms may say against its listing's is ``narrowing.py``."""

from marketplace.quotes.lifecycle import QuoteEvent
from marketplace.quotes.models import QuoteStatus
from marketplace.quotes.offer import QuoteOffer, terms_hash

__all__ = ["QuoteEvent", "QuoteOffer", "QuoteStatus", "terms_hash"]
