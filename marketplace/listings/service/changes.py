"""Pausing, resuming and withdrawing a listing (its supplier only), and closing an exclusive one
once sold; each through the lifecycle, with its journal entry in the same transaction, and each
locking the listing before the journal head."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from marketplace.assets import service as assets
from marketplace.identity import service as identity
from marketplace.listings import indexing, lifecycle, repository
from marketplace.listings.errors import ListingNotFound, NotListingOwner
from marketplace.listings.lifecycle import ListingEvent
from marketplace.listings.models import Listing
from marketplace.listings.schemas import ListingPublic
from marketplace.listings.service._common import AssetRow, journal_listing, to_public
from marketplace.principal import Principal


def _locked(session: Session, listing_id: int) -> Listing:
    row = repository.lock(session, listing_id)
    if row is None:
        raise ListingNotFound(f"no listing {listing_id}")
    return row


def _move(
    session: Session,
    listing: Listing,
    event: ListingEvent,
    actor: str,
    now: datetime,
    **payload: Any,
) -> ListingPublic:
    transition = lifecycle.apply(listing, event)
    listing.updated_at = now
    session.add(listing)
    journal_listing(
        session, transition.kind, listing, actor, status=transition.target.value, **payload
    )
    asset: AssetRow = assets.assets_by_ids(session, [listing.asset_id])[listing.asset_id]
    suspended = identity.is_suspended(session, listing.supplier_organization_id)
    public = to_public(listing, asset, supplier_suspended=suspended)
    indexing.listing_changed(session, public)
    return public


def change(
    session: Session, principal: Principal, listing_id: int, event: ListingEvent, now: datetime
) -> ListingPublic:
    """Pause, resume or withdraw the caller's own listing."""
    assert event in (ListingEvent.pause, ListingEvent.resume, ListingEvent.withdraw)
    listing = _locked(session, listing_id)
    if listing.supplier_organization_id != principal.organization.id:
        raise NotListingOwner(f"listing {listing_id} belongs to another organisation")
    return _move(session, listing, event, principal.address, now)


def pause(session: Session, principal: Principal, listing_id: int, now: datetime) -> ListingPublic:
    return change(session, principal, listing_id, ListingEvent.pause, now)


def resume(session: Session, principal: Principal, listing_id: int, now: datetime) -> ListingPublic:
    return change(session, principal, listing_id, ListingEvent.resume, now)


def withdraw(
    session: Session, principal: Principal, listing_id: int, now: datetime
) -> ListingPublic:
    return change(session, principal, listing_id, ListingEvent.withdraw, now)


def lock(session: Session, listing_id: int) -> None:
    """Lock the listing (404 when there is none) for the rest of the transaction, before its
    first journal append, as a pause or withdrawal does (it locks the listing, then the journal
    head: docs/architecture.md, "Lock order"). For the domains that decide something about the
    listing one transaction at a time: the orders domain closing an exclusive listing a sale
    took (``close_sold``), the auctions domain opening an auction on one."""
    _locked(session, listing_id)


def close_sold(
    session: Session, listing_id: int, *, actor: str, order_id: int, now: datetime
) -> ListingPublic:
    """An exclusive licence was sold (order ``order_id``): no one else may buy the listing. For
    the orders domain, inside the transaction that records the sale."""
    listing = _locked(session, listing_id)
    assert listing.exclusive, "only an exclusive listing closes on a sale"
    return _move(session, listing, ListingEvent.close, actor, now, order_id=order_id)
