"""Reading auctions: public, no login. A read applies the clock (``lifecycle.current``) and
resolves an auction whose reveal deadline has passed (``resolve_if_due``)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from marketplace import limits
from marketplace.assets.service import SigningContext
from marketplace.auctions import repository
from marketplace.auctions.errors import AuctionNotFound, NoBid
from marketplace.auctions.schemas import AuctionPublic, BidPublic
from marketplace.auctions.service.resolution import resolve_if_due
from marketplace.auctions.service.views import auction_public, bid_public
from marketplace.principal import Principal
from marketplace.settings import Settings


def get(
    session: Session,
    settings: Settings,
    auction_id: int,
    ctx: SigningContext | None,
    now: datetime,
) -> AuctionPublic:
    auction = repository.get(session, auction_id)
    if auction is None:
        raise AuctionNotFound(f"no auction {auction_id}")
    return auction_public(resolve_if_due(session, settings, auction, ctx, now), now)


def for_listing(
    session: Session,
    settings: Settings,
    listing_id: int,
    ctx: SigningContext | None,
    now: datetime,
    *,
    limit: int = limits.page_size_default,
) -> list[AuctionPublic]:
    """The listing's auctions, newest first."""
    return [
        auction_public(resolve_if_due(session, settings, a, ctx, now), now)
        for a in repository.for_listing(session, listing_id, limit)
    ]


def my_bid(session: Session, principal: Principal, auction_id: int) -> BidPublic:
    """The caller's organisation's bid in the auction (404 if it has none)."""
    if repository.get(session, auction_id) is None:
        raise AuctionNotFound(f"no auction {auction_id}")
    assert principal.organization.id is not None
    bid = repository.bid_of(session, auction_id, principal.organization.id)
    if bid is None:
        raise NoBid(f"your organisation has no sealed bid in auction {auction_id}")
    return bid_public(bid)
