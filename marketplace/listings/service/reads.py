"""Reading listings: one or many (public, no login), an asset's active ones, whether one may be
bought for a purpose, and the active comparables of an asset (for prices and valuations)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from marketplace import limits
from marketplace.assets import service as assets
from marketplace.identity import service as identity
from marketplace.listings import repository
from marketplace.listings.errors import (
    InvalidTerms,
    ListingNotFound,
    NotPurchasable,
    PurposeNotPermitted,
    SupplierSuspended,
)
from marketplace.listings.models import Listing, ListingStatus
from marketplace.listings.schemas import ListingPublic, Unavailable
from marketplace.listings.service._common import LISTED, SUSPENDED, AssetRow, to_public
from marketplace.listings.terms import Purpose, refusal
from marketplace.principal import Principal


def _with_assets(session: Session, rows: Sequence[Listing]) -> list[ListingPublic]:
    """The rows as shown, with two reads for the whole page: their assets, and which of their
    suppliers are suspended."""
    found: dict[int, AssetRow] = dict(assets.assets_by_ids(session, [r.asset_id for r in rows]))
    suspended = identity.suspended_among(session, [r.supplier_organization_id for r in rows])
    return [
        to_public(
            row,
            found[row.asset_id],
            supplier_suspended=row.supplier_organization_id in suspended,
        )
        for row in rows
    ]


def of_supplier(
    session: Session, principal: Principal, *, offset: int, limit: int
) -> tuple[list[ListingPublic], int]:
    """The listings the caller's organisation offered, in every status, newest first, and how
    many there are."""
    assert 0 < limit <= limits.page_size_max
    rows, total = repository.of_organization(
        session, principal.account.organization_id, offset=offset, limit=limit
    )
    return _with_assets(session, rows), total


def available_of_organization(
    session: Session, organization_id: int, limit: int
) -> list[ListingPublic]:
    """The organisation's listings a buyer may buy now, newest first, among its newest
    ``limit`` active ones (the supplier's side of matching)."""
    rows = repository.active_of_organization(session, organization_id, limit)
    return [item for item in _with_assets(session, rows) if item.available]


def listing_row(session: Session, listing_id: int) -> Listing:
    row = repository.get(session, listing_id)
    if row is None:
        raise ListingNotFound(f"no listing {listing_id}")
    return row


def public(session: Session, listing_id: int) -> ListingPublic:
    """A listing as everyone sees it: a listing is a public offer (its terms are in the public
    journal); ``available`` says whether it can be bought now."""
    return _with_assets(session, [listing_row(session, listing_id)])[0]


def public_many(session: Session, listing_ids: Sequence[int]) -> list[ListingPublic]:
    """The listings of ``listing_ids`` in that order; ids with no listing are skipped."""
    rows = repository.many(session, listing_ids[: limits.page_size_max])
    return _with_assets(session, [rows[i] for i in listing_ids if i in rows])


def for_asset(session: Session, asset_id: int) -> list[ListingPublic]:
    """The asset's active listings offered by its owner, oldest first (shown while the asset is
    suspended too, flagged ``under_objection``; a transferred asset's old listings are not its
    new owner's offer)."""
    rows = repository.of_asset(
        session, asset_id, [ListingStatus.active], limits.listings_per_asset_max
    )
    asset = assets.assets_by_ids(session, [asset_id]).get(asset_id)
    if asset is None:
        return []
    suspended = identity.is_suspended(session, asset.owner_organization_id)
    return [
        to_public(row, asset, supplier_suspended=suspended)
        for row in rows
        if row.supplier_organization_id == asset.owner_organization_id
    ]


def purchasable(session: Session, listing_id: int, purpose: Purpose | str) -> ListingPublic:
    """The listing, if a buyer may buy it now for ``purpose``; otherwise a 4xx naming why."""
    return _purchasable(session, listing_id, purpose, buyer_organization_id=None)


def _purchasable(
    session: Session, listing_id: int, purpose: Purpose | str, *, buyer_organization_id: int | None
) -> ListingPublic:
    """``purchasable``; with a buyer, its suspension is read with the supplier's (one read) and
    refused first, as its token check would have refused it (403 ``organization_suspended``)."""
    row = listing_row(session, listing_id)
    asset = assets.assets_by_ids(session, [row.asset_id])[row.asset_id]
    parties = [row.supplier_organization_id]
    if buyer_organization_id is not None:
        parties.append(buyer_organization_id)
    suspended_parties = identity.suspended_among(session, parties)
    if buyer_organization_id is not None and buyer_organization_id in suspended_parties:
        raise identity.suspended_refusal()
    suspended = row.supplier_organization_id in suspended_parties
    shown = to_public(row, asset, supplier_suspended=suspended)
    if shown.status != ListingStatus.active:
        raise NotPurchasable(f"listing {listing_id} is {shown.status}; it cannot be bought now")
    if asset.status == SUSPENDED:
        raise NotPurchasable(
            f"asset {shown.asset_id} is suspended by the exchange: {asset.suspension_reason}"
        )
    if asset.status != LISTED:
        raise NotPurchasable(f"asset {shown.asset_id} is {asset.status}; it cannot be bought now")
    if shown.unavailable_reason == Unavailable.asset_changed_hands:
        raise NotPurchasable(
            f"asset {shown.asset_id} changed hands since listing {listing_id} was signed; "
            "its new owner has not offered it under these terms"
        )
    if suspended:
        raise SupplierSuspended(
            f"listing {listing_id}'s supplier is suspended by the exchange's operators; it "
            "cannot be bought until they reinstate it"
        )
    if purpose not in set(Purpose):
        raise InvalidTerms(
            f"{purpose!r} is not a known purpose; purposes are: {', '.join(Purpose)}"
        )
    reason = refusal(shown.terms, purpose)
    if reason is not None:
        raise PurposeNotPermitted(reason)
    return shown


def held_for_sale(
    session: Session, listing_id: int, purpose: Purpose | str, *, buyer_organization_id: int
) -> ListingPublic:
    """``purchasable``, for an order about to be placed by ``buyer_organization_id``: the
    buyer's and the supplier's organisations (one statement), the listing and its asset are
    share-locked, in this order, until the order's transaction ends, so that either party's
    suspension, a pause, withdrawal, delisting or the asset's suspension (each locks its row
    for update, then the journal head) waits for the order, or the order waits for it and reads
    what it committed (both suspensions are read after the locks, in one statement of their
    own). A buyer found suspended is refused 403 ``organization_suspended``, as its token check
    refuses it once the suspension has committed: a request that passed the check while the
    suspension was under way acts no more than one sent after it. An order is never placed
    after the journal says its listing stopped selling or either party was suspended, and the
    locks come before the journal head in both, so neither waits for the other in a cycle
    (PostgreSQL; SQLite runs one writer; docs/architecture.md, "Lock order")."""
    repository.share_lock_parties(session, listing_id, buyer_organization_id)
    row = repository.share_lock(session, listing_id)
    if row is None:
        raise ListingNotFound(f"no listing {listing_id}")
    assets.share_lock(session, row.asset_id)
    return _purchasable(session, listing_id, purpose, buyer_organization_id=buyer_organization_id)


def active_comparables(session: Session, asset_id: int, limit: int) -> list[ListingPublic]:
    """Available priced listings of other listed assets, of the same theme when the asset has
    one, newest first (at most ``limit``, itself at most ``listing_comparables_max``)."""
    limit = max(0, min(limit, limits.listing_comparables_max))
    subject = assets.assets_by_ids(session, [asset_id]).get(asset_id)
    if subject is None or limit == 0:
        return []
    same_theme = (
        assets.public_asset_ids_with_theme(
            session, subject.theme, asset_id, limits.listing_comparables_max
        )
        if subject.theme
        else None
    )
    rows = repository.active_priced(
        session, exclude_asset_id=asset_id, asset_ids=same_theme, limit=limit * 2
    )
    return [p for p in _with_assets(session, rows) if p.available][:limit]
