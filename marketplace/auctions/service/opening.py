"""Opening an auction on an exclusive listing, and cancelling one before any bid."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc
from marketplace import limits
from marketplace.auctions import lifecycle, repository, vickrey
from marketplace.auctions.commitment import ABI_TYPES
from marketplace.auctions.errors import (
    AuctionNotFound,
    AuctionStateConflict,
    AuctionUnderWay,
    BadDeadlines,
    NotYourAuction,
)
from marketplace.auctions.lifecycle import AuctionEvent
from marketplace.auctions.models import Auction, AuctionStatus
from marketplace.auctions.schemas import AuctionCreate, AuctionPublic
from marketplace.auctions.service import _seams
from marketplace.auctions.service.views import auction_public, subject
from marketplace.principal import OrgRole, Principal, check_verified
from marketplace.settings import Settings

#: How the commitment is computed, as ``auction.opened`` states it for verifiers.
COMMITMENT_SCHEME = f"keccak256(abi.encode({','.join(ABI_TYPES)}))"
_OPEN = (AuctionStatus.committing, AuctionStatus.revealing)


def _check_deadlines(body: AuctionCreate, now: datetime, window_s_min: int) -> None:
    commit_s = (body.commit_deadline - now).total_seconds()
    reveal_s = (body.reveal_deadline - body.commit_deadline).total_seconds()
    if not window_s_min <= commit_s <= limits.auction_commit_window_s_max:
        raise BadDeadlines(
            f"commit_deadline must lie between {window_s_min} s and "
            f"{limits.auction_commit_window_s_max // 86400} days from now"
        )
    if not window_s_min <= reveal_s <= limits.auction_reveal_window_s_max:
        raise BadDeadlines(
            f"reveal_deadline must lie between {window_s_min} s and "
            f"{limits.auction_reveal_window_s_max // 86400} days after commit_deadline"
        )


def under_way(session: Session, listing_id: int, now: datetime) -> int | None:
    """The id of the listing's auction still committing or revealing (or due to be resolved),
    if it has one."""
    return _under_way_of(_auctions_of(session, listing_id), now)


def awaiting_winner(session: Session, listing_id: int, now: datetime) -> int | None:
    """The id of the listing's sold auction whose winner has not placed its order yet, while
    the winner's window (``limits.auction_winner_order_window_s``) lasts."""
    return _awaiting_winner_of(_auctions_of(session, listing_id), now)


def _auctions_of(session: Session, listing_id: int) -> Sequence[Auction]:
    return repository.for_listing(session, listing_id, limits.page_size_max)


def _under_way_of(auctions: Sequence[Auction], now: datetime) -> int | None:
    running = [a.id for a in auctions if lifecycle.current(a, now) in _OPEN]
    return running[0] if running else None


def _awaiting_winner_of(auctions: Sequence[Auction], now: datetime) -> int | None:
    window = timedelta(seconds=limits.auction_winner_order_window_s)
    waiting = [
        a.id for a in auctions
        if a.status == AuctionStatus.resolved and a.order_id is None
        and a.closed_at is not None and now < as_utc(a.closed_at) + window
    ]  # fmt: skip
    return waiting[0] if waiting else None


def refuse_if_under_way(session: Session, listing_id: int, now: datetime) -> None:
    """409 ``auction_under_way`` naming the auction when the listing is being auctioned: until
    the auction is resolved (or cancelled) it is sold only to the auction's winner, and after a
    sale the winner has its window to place its order. The orders endpoints call this before
    ``orders.service.place`` (orders' service may not import auctions, which imports it).
    The auctions are read (once, for both questions) only when the listing has one that may
    be either; most purchases find none by a single ``LIMIT 1`` query."""
    if not repository.any_unsettled(session, listing_id):
        return
    auctions = _auctions_of(session, listing_id)
    running = _under_way_of(auctions, now)
    if running is not None:
        raise AuctionUnderWay(
            f"listing {listing_id} is being auctioned (auction {running}); it can be bought "
            "outright again only once that auction is resolved with no sale or is cancelled"
        )
    waiting = _awaiting_winner_of(auctions, now)
    if waiting is not None:
        raise AuctionUnderWay(
            f"listing {listing_id} was sold by auction {waiting} and its winner has not placed "
            "its order yet; it is reserved for the winner until then"
        )


def open_auction(
    session: Session, settings: Settings, principal: Principal, body: AuctionCreate, now: datetime
) -> AuctionPublic:
    """Open a sealed-bid auction on the caller's active exclusive listing and write
    ``auction.opened`` (reserve, deposit, deadlines and the commitment scheme). One open auction
    per listing at a time (409)."""
    check_verified(principal, OrgRole.supplier)
    _check_deadlines(body, now, settings.auction_window_s_min)
    listing = _seams.auctionable_listing(session, principal, body.listing_id)
    running = under_way(session, listing.id, now)
    if running is not None:
        raise AuctionStateConflict(f"listing {listing.id} already has auction {running} under way")
    waiting = awaiting_winner(session, listing.id, now)
    if waiting is not None:
        raise AuctionStateConflict(
            f"listing {listing.id} was sold by auction {waiting}, whose winner has not placed its "
            "order yet"
        )
    deposit = vickrey.deposit_minor(
        body.reserve_minor, settings.auction_deposit_bp, settings.auction_deposit_minor_min
    )
    assert principal.organization.id is not None
    auction = repository.add(
        session,
        Auction(
            listing_id=listing.id,
            supplier_organization_id=principal.organization.id,
            created_by=principal.account_id,
            status=lifecycle.INITIAL,
            currency=listing.currency,
            reserve_minor=body.reserve_minor,
            deposit_minor=deposit,
            commit_deadline=body.commit_deadline,
            reveal_deadline=body.reveal_deadline,
            opened_seq=0,  # set below, in the same transaction
            created_at=now,
        ),
    )
    assert auction.id is not None
    entry = journal.append(
        session,
        kind=lifecycle.OPENED_KIND,
        subject=subject(auction.id),
        actor=principal.address,
        payload={
            "auction_id": auction.id,
            "listing_id": listing.id,
            "supplier_organization_id": auction.supplier_organization_id,
            "currency": auction.currency,
            "reserve_minor": str(auction.reserve_minor),
            "deposit_minor": str(deposit),
            "commit_deadline": _iso(body.commit_deadline),
            "reveal_deadline": _iso(body.reveal_deadline),
            "commitment_scheme": COMMITMENT_SCHEME,
            "terms_hash": listing.terms_hash,
        },
    )
    auction.opened_seq = entry.seq
    repository.save(session, auction)
    return auction_public(auction, now)


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat()


def own_auction(session: Session, principal: Principal, auction_id: int) -> Auction:
    """The caller's organisation's auction, locked (404 if none; 403 if someone else's)."""
    auction = repository.lock(session, auction_id)
    if auction is None:
        raise AuctionNotFound(f"no auction {auction_id}")
    if auction.supplier_organization_id != principal.organization.id:
        raise NotYourAuction(f"auction {auction_id} is not your organisation's")
    return auction


def cancel(session: Session, principal: Principal, auction_id: int, now: datetime) -> AuctionPublic:
    """The supplier cancels its auction while it is committing and has no bid; writes
    ``auction.cancelled``."""
    auction = own_auction(session, principal, auction_id)
    if auction.commitments and lifecycle.current(auction, now) is AuctionStatus.committing:
        raise AuctionStateConflict(
            f"auction {auction_id} has {auction.commitments} sealed bid(s); an auction with a "
            "bid cannot be cancelled"
        )
    transition = lifecycle.apply(auction, AuctionEvent.cancel, now)
    assert transition.kind is not None
    entry = journal.append(
        session,
        kind=transition.kind,
        subject=subject(auction_id),
        actor=principal.address,
        payload={"auction_id": auction_id, "listing_id": auction.listing_id},
    )
    auction.closed_seq, auction.closed_at = entry.seq, now
    repository.save(session, auction)
    return auction_public(auction, now)


__all__ = ["COMMITMENT_SCHEME", "cancel", "open_auction", "own_auction"]
