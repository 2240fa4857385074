"""Listing and delisting a registered asset."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from marketplace.assets import lifecycle, repository
from marketplace.assets.errors import AssetNotFound, NotListable
from marketplace.assets.lifecycle import AssetEvent
from marketplace.assets.models import Asset, Classification
from marketplace.assets.service.access import is_operator, owned_asset
from marketplace.assets.service.journaling import journal_asset, touch
from marketplace.assets.service.public import listing_restrictions
from marketplace.principal import Principal

#: Called, in the transaction, each time an asset is listed: other domains plug in here (the
#: listings domain re-indexes the asset's listings with the asset's words as they are now).
ListedHook = Callable[[Session, int], None]
listed_hooks: list[ListedHook] = []


def list_asset(session: Session, principal: Principal, asset_id: int, now: datetime) -> Asset:
    asset = owned_asset(session, principal, asset_id)
    if asset.classification == Classification.core.value:
        raise NotListable("core data (核心数据) may be registered but never listed")
    transition = lifecycle.apply(asset, AssetEvent.list)
    touch(session, asset, now)
    restrictions = listing_restrictions(asset)
    journal_asset(
        session,
        transition.kind,
        asset,
        principal.address,
        revision=asset.certified_revision,
        restrictions=restrictions,
    )
    for hook in listed_hooks:
        hook(session, asset_id)
    return asset


def delist_asset(session: Session, principal: Principal, asset_id: int, now: datetime) -> Asset:
    if is_operator(principal):
        asset = repository.lock_asset(session, asset_id)
        if asset is None:
            raise AssetNotFound(f"no asset {asset_id}")
    else:
        asset = owned_asset(session, principal, asset_id)
    transition = lifecycle.apply(asset, AssetEvent.delist)
    touch(session, asset, now)
    journal_asset(session, transition.kind, asset, principal.address)
    return asset
