"""``bourse.search``: the catalog's listings by words, filters and order, a page at a time
(``GET /listings``; no login). Its schemas are imported where used, like quality's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marketplace.client.session import Session

if TYPE_CHECKING:
    from marketplace.listings.schemas import ListingPage


class Search:
    def __init__(self, session: Session) -> None:
        self._session = session

    def listings(
        self,
        q: str = "",
        *,
        theme: str | None = None,
        price_min_minor: int | None = None,
        price_max_minor: int | None = None,
        quality_min: float | None = None,
        purpose: str | None = None,
        classification: str | None = None,
        update_frequency: str | None = None,
        sort: str = "relevance",
        limit: int | None = None,
        cursor: str | None = None,
    ) -> ListingPage:
        """One page of listings matching every word of ``q`` and every filter given, in
        ``sort`` order (relevance, price_asc, price_desc, quality, recent); pass the page's
        ``next_cursor`` as ``cursor``, with the same words, filters and order, for the next."""
        from marketplace.listings.schemas import ListingPage

        given: dict[str, Any] = {
            "q": q or None,
            "theme": theme,
            "price_min_minor": price_min_minor,
            "price_max_minor": price_max_minor,
            "quality_min": quality_min,
            "purpose": purpose,
            "classification": classification,
            "update_frequency": update_frequency,
            "sort": sort,
            "limit": limit,
            "cursor": cursor,
        }
        params = {name: value for name, value in given.items() if value is not None}
        return self._session.call(ListingPage, "GET", "/listings", params=params)
