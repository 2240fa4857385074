"""Listing rules: creating a signed offer of an approved asset, reading listings (public), the
purchase-time check of a buyer's purpose, comparables, and the supplier's pause, resume and
withdrawal. Services never commit; every change writes its journal entry in the same
transaction.

Modules: ``creation`` (draft and create), ``reads`` (public, public_many, for_asset,
purchasable, held_for_sale, active_comparables), ``changes`` (pause, resume, withdraw,
lock, close_sold),
``_common`` (the public shape and the journal entries).
"""

from marketplace.assets import service as _assets
from marketplace.listings import indexing as _indexing
from marketplace.listings.service.changes import (
    change,
    close_sold,
    lock,
    pause,
    resume,
    withdraw,
)
from marketplace.listings.service.creation import create, draft
from marketplace.listings.service.reads import (
    active_comparables,
    available_of_organization,
    for_asset,
    held_for_sale,
    listing_row,
    of_supplier,
    public,
    public_many,
    purchasable,
)

# Listing an asset re-indexes its listings (the assets service cannot import this one).
if _indexing.reindex_asset not in _assets.listed_hooks:
    _assets.listed_hooks.append(_indexing.reindex_asset)

__all__ = [
    "active_comparables",
    "available_of_organization",
    "change",
    "close_sold",
    "create",
    "draft",
    "for_asset",
    "held_for_sale",
    "listing_row",
    "lock",
    "of_supplier",
    "pause",
    "public",
    "public_many",
    "purchasable",
    "resume",
    "withdraw",
]
