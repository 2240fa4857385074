"""What a quote's terms may say against its listing's (pure).

A quote may offer the listing's signed terms or narrower ones, never wider: the listing's terms
are what the supplier signed for the asset, and a quote is not a way round them. Narrower means,
field by field:

- purposes: some of the listing's;
- licence duration: at most the listing's;
- territory: some of the listing's countries (any, when the listing's is worldwide);
- redistribution and derivative works: allowed only if the listing allows them;
- maximum downloads: at most the listing's (any bound, when the listing has none);
- exclusivity, delivery mode, the acceptance and dispute windows: the listing's. Exclusivity is
  a promise about other buyers and the windows and delivery mode are how the order runs, so a
  quote repeats them rather than bending them either way.
"""

from __future__ import annotations

from marketplace.listings.terms import WORLDWIDE, Terms


def _territory_wider(quote: Terms, listing: Terms) -> bool:
    if listing.territory == [WORLDWIDE]:
        return False
    return quote.territory == [WORLDWIDE] or not set(quote.territory) <= set(listing.territory)


def _downloads_wider(quote: Terms, listing: Terms) -> bool:
    if listing.max_downloads is None:
        return False
    return quote.max_downloads is None or quote.max_downloads > listing.max_downloads


def widenings(quote: Terms, listing: Terms) -> list[str]:
    """Where ``quote`` gives more than ``listing`` (or changes what must stay), in plain words;
    empty when the quote's terms are the listing's or narrower."""
    found: list[str] = []
    extra = [p.value for p in quote.purposes if p not in listing.purposes]
    if extra:
        found.append(f"purposes {', '.join(extra)} are not among the listing's")
    if quote.licence_duration_days > listing.licence_duration_days:
        found.append(
            f"a licence of {quote.licence_duration_days} days is longer than the listing's "
            f"{listing.licence_duration_days}"
        )
    if _territory_wider(quote, listing):
        found.append(
            f"territory {', '.join(quote.territory)} reaches beyond the listing's "
            f"{', '.join(listing.territory)}"
        )
    found.extend(
        f"the listing does not allow {name}"
        for name in ("redistribution", "derivatives")
        if getattr(quote, name) and not getattr(listing, name)
    )
    if _downloads_wider(quote, listing):
        found.append(
            f"{quote.max_downloads or 'unlimited'} downloads exceed the listing's "
            f"{listing.max_downloads}"
        )
    found.extend(
        f"{name} must be the listing's ({getattr(listing, name)})"
        for name in ("exclusive", "delivery_mode", "acceptance_window_h", "dispute_window_h")
        if getattr(quote, name) != getattr(listing, name)
    )
    return found


__all__ = ["widenings"]
