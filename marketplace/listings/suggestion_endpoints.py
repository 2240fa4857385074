"""The price suggestion endpoint: ``GET /assets/{asset_id}/price-suggestion``, for the asset's
owner (its valuations may be private). Beside the listings endpoints, in a module of its own."""

from __future__ import annotations

from fastapi import APIRouter

from marketplace.assets.endpoints import AssetId
from marketplace.deps import SessionDep, SettingsDep
from marketplace.identity.auth import CurrentAccount
from marketplace.listings.service.suggestion import price_suggestion
from marketplace.listings.suggestion import PriceSuggestion

router = APIRouter(tags=["listings"])


@router.get(
    "/assets/{asset_id}/price-suggestion",
    summary="A price range for a one-off licence of your asset, with the reasoning (owner only)",
)
def get_price_suggestion(
    asset_id: AssetId, principal: CurrentAccount, session: SessionDep, settings: SettingsDep
) -> PriceSuggestion:
    """From the asset's latest valuation with a value and from comparable active listings (same
    theme and classification; one-off prices, adjusted for size). With neither, every bound is
    null and the reasoning says so. 404 for an asset you may not see, 403 for one you do not
    own."""
    return price_suggestion(session, principal, asset_id, settings.currency_unit)
