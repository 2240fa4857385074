"""``bourse.pricing``: the price suggestion for one of your assets (owner only). Its schema is
imported where used, like valuation's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketplace.client.session import Session

if TYPE_CHECKING:
    from marketplace.listings.suggestion import PriceSuggestion


class Pricing:
    def __init__(self, session: Session) -> None:
        self._session = session

    def suggestion(self, asset_id: int) -> PriceSuggestion:
        """A price range (low, mid, high) for a one-off licence of your asset, with the
        reasoning; every bound is None when there is nothing to go on."""
        from marketplace.listings.suggestion import PriceSuggestion

        path = f"/assets/{asset_id}/price-suggestion"
        return self._session.call(PriceSuggestion, "GET", path)
