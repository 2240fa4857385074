"""``/catalog``: the catalog search, as ``GET /listings`` offers it — words, filters (theme,
classification, purpose, update frequency, price range, minimum quality), an order, and a page
at a time by cursor. Each row is a listing that may be bought now, with its asset's facts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session

from marketplace import limits
from marketplace.assets import service as asset_service
from marketplace.assets import visibility
from marketplace.assets.schemas import AssetPublic
from marketplace.assets.vocabulary import FREQUENCIES
from marketplace.errors import NotFound
from marketplace.listings import service as listing_service
from marketplace.listings.schemas import ListingPublic, ListingSearch
from marketplace.listings.terms import Purpose
from marketplace.money import parse_amount
from marketplace.quality import service as quality_service
from marketplace.quality.schemas import EvaluationPublic
from marketplace.search import service as search_service
from marketplace.search.schemas import SearchSort

#: Listings per catalog page (tests lower it to see paging).
PAGE_SIZE = limits.page_size_default
CLASSIFICATIONS = ("general", "important", "core")
PURPOSES = tuple(p.value for p in Purpose)
FREQUENCY_CHOICES = tuple(sorted(FREQUENCIES))
SORTS = tuple(s.value for s in SearchSort)
FILTER_FIELDS = (
    "q", "theme", "classification", "purpose", "update_frequency", "price_min", "price_max",
    "quality_min", "sort", "cursor",
)  # fmt: skip


@dataclass(frozen=True)
class CatalogRow:
    listing: ListingPublic
    asset: AssetPublic
    size_bytes: int | None  # of the registered revision
    quality: float | None  # its overall score


@dataclass(frozen=True)
class CatalogView:
    rows: list[CatalogRow]
    next_cursor: str | None


def public_quality(session: Session, asset_id: int) -> EvaluationPublic | None:
    """The quality report buyers see (of the registered revision), if there is one."""
    try:
        return quality_service.asset_report(session, None, asset_id)
    except NotFound:
        return None


def search_from_form(form: Mapping[str, str], scale: int) -> ListingSearch:
    """The catalog's query string as the API's query; raises ValidationError (shown next to the
    fields) for a bad one. Prices are typed in currency units (``12.50``)."""
    values: dict[str, object] = {
        name: form[name].strip()
        for name in ("q", "theme", "classification", "purpose", "update_frequency", "cursor")
        if form.get(name, "").strip()
    }
    for name in ("price_min", "price_max"):
        raw = form.get(name, "").strip()
        if raw:
            try:
                values[f"{name}_minor"] = parse_amount(raw, scale)
            except ValueError as exc:
                values[f"{name}_minor"] = str(exc)  # fails validation with this field's name
    if form.get("quality_min", "").strip():
        values["quality_min"] = form["quality_min"].strip()
    values["sort"] = form.get("sort") or SearchSort.relevance.value
    values["limit"] = PAGE_SIZE
    return ListingSearch.model_validate(values)


def _row(session: Session, listing: ListingPublic) -> CatalogRow:
    asset = asset_service.asset_public(asset_service.visible_asset(session, None, listing.asset_id))
    number = visibility.newest_visible_revision(None, asset)
    if not number:
        return CatalogRow(listing, asset, None, None)
    size = asset_service.revision_size_bytes(session, asset.id, number)
    quality = quality_service.finished_overall_score(session, asset.id, number)
    return CatalogRow(listing, asset, size, quality)


def catalog_view(session: Session, query: ListingSearch) -> CatalogView:
    found = search_service.search(session, query)
    listings = listing_service.public_many(session, found.ids)
    return CatalogView([_row(session, item) for item in listings], found.next_cursor)
