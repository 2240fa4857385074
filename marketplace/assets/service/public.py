"""The asset as the API shows it."""

from __future__ import annotations

from ledger.models import as_utc
from marketplace.assets import visibility
from marketplace.assets.models import Asset, Classification
from marketplace.assets.schemas import AssetPublic
from marketplace.principal import Principal

IMPORTANT_DATA_RESTRICTIONS = (
    "key_wrapped_delivery",
    "verified_buyers_only",
    "operator_approval_per_order",
)


def listing_restrictions(asset: Asset) -> list[str]:
    """What every listing of the asset must carry: important data's restrictions, or none."""
    if asset.classification == Classification.important.value:
        return list(IMPORTANT_DATA_RESTRICTIONS)
    return []


def asset_public(asset: Asset) -> AssetPublic:
    restrictions = listing_restrictions(asset)
    public = AssetPublic.model_validate(asset, from_attributes=True)
    return public.model_copy(
        update={
            "created_at": as_utc(asset.created_at),
            "updated_at": as_utc(asset.updated_at),
            "listing_restrictions": restrictions,
            "under_objection": asset.open_objections > 0,
        }
    )


def asset_public_for(principal: Principal | None, asset: Asset) -> AssetPublic:
    """The asset as the caller sees it: ``latest_revision`` is the newest revision it may see
    (0 when none), so that it never points at a 404."""
    newest = visibility.newest_visible_revision(principal, asset) or 0
    return asset_public(asset).model_copy(update={"latest_revision": newest})
