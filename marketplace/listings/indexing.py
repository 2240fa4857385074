"""Keeping the catalog search index current: every listing change reaches the search library
here, in the same transaction as the change.

- An active listing is indexed (``search.service.index``): its asset's title, description and
  keywords, the listed revision's column names, theme, classification, update frequency, the
  purposes its terms permit, its headline price, the revision's latest quality score, and
  whether it may be found now (``findable``) and is under objection.
- A listing that stops being active (paused, withdrawn, closed) leaves the index
  (``search.service.remove``); resuming indexes it again.
- The assets service keeps each asset's visibility and objection flag in the index as the asset
  changes (``search.service.set_asset_state``).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from marketplace import limits
from marketplace.assets import service as assets
from marketplace.assets.vocabulary import FREQUENCIES
from marketplace.listings import repository
from marketplace.listings.lifecycle import OPEN
from marketplace.listings.models import ListingStatus
from marketplace.listings.schemas import ListingPublic, Unavailable
from marketplace.quality import service as quality
from marketplace.search import SearchDocument
from marketplace.search import service as search


def _columns(table_schema: dict[str, Any] | None) -> list[str]:
    """The Table Schema's field names, as many as the index holds."""
    fields = (table_schema or {}).get("fields") or []
    names = [f.get("name") for f in fields if isinstance(f, dict)]
    return [n for n in names if isinstance(n, str) and n][: limits.search_columns_max]


def findable(listing: ListingPublic) -> bool:
    """Whether the catalog finds the listing: it may be bought, or would be but for its
    supplier's suspension. A suspended supplier's listings stay in the catalog, shown not
    available (``unavailable_reason``), and sell again once it is reinstated; the index keeps
    no state of the supplier's, so nothing has to be re-indexed either way."""
    return listing.available or listing.unavailable_reason == Unavailable.supplier_suspended


def document(session: Session, listing: ListingPublic) -> SearchDocument:
    """What the catalog knows of the listing to find it."""
    asset = assets.assets_by_ids(session, [listing.asset_id])[listing.asset_id]
    revision = assets.stored_revision(session, listing.asset_id, listing.revision)
    frequency = asset.accrual_periodicity
    return SearchDocument(
        listing_id=listing.id,
        asset_id=listing.asset_id,
        title=asset.title,
        description=asset.description,
        keywords=list(asset.keywords)[: limits.asset_keywords_max],
        columns=_columns(None if revision is None else revision.table_schema),
        theme=asset.theme or None,
        classification=str(asset.classification),
        update_frequency=frequency if frequency in FREQUENCIES else None,
        purposes=[p.value for p in listing.terms.purposes],
        headline_minor=listing.headline_minor,
        quality_score=quality.finished_overall_score(session, listing.asset_id, listing.revision),
        created_at=listing.created_at,
        visible=findable(listing),
        under_objection=listing.under_objection,
    )


def listing_changed(session: Session, listing: ListingPublic) -> None:
    """The listing was created, paused, resumed, withdrawn or closed."""
    if listing.status == ListingStatus.active:
        search.index(session, document(session, listing))
    else:
        search.remove(session, listing.id)


def reindex_asset(session: Session, asset_id: int) -> None:
    """The asset was listed (again): its owner's active listings are indexed with the asset's
    words as they are now (a change of metadata sends an asset back through review), and
    listings that no longer stand for its owner (the asset changed hands) leave the index, which
    the listing would otherwise show again."""
    from marketplace.listings.service import for_asset  # the service imports this module

    current = for_asset(session, asset_id)
    for listing in current:
        search.index(session, document(session, listing))
    kept = {listing.id for listing in current}
    for row in repository.of_asset(session, asset_id, OPEN, limits.listings_per_asset_max):
        if row.id is not None and row.id not in kept:
            search.remove(session, row.id)
