"""All SQL for auctions. Row locks (``with_for_update``) live here: resolving, revealing and
committing lock the auction row, so that on PostgreSQL concurrent requests queue on it (SQLite's
``BEGIN IMMEDIATE`` already serialises writers)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace import limits
from marketplace.auctions.models import Auction, AuctionBid


def add(session: Session, row: Auction) -> Auction:
    session.add(row)
    session.flush()
    return row


def add_bid(session: Session, bid: AuctionBid) -> AuctionBid | None:
    """Insert the bid; None when the organisation already has one in this auction (the unique
    index settles a race that a look-up could not see)."""
    try:
        with session.begin_nested():
            session.add(bid)
            session.flush()
    except IntegrityError:
        return None
    return bid


def get(session: Session, auction_id: int) -> Auction | None:
    return session.get(Auction, auction_id)


def lock(session: Session, auction_id: int) -> Auction | None:
    """The auction's row, locked for the rest of the transaction (re-read, not from the
    session's cache)."""
    query = select(Auction).where(col(Auction.id) == auction_id).with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).first()


def for_listing(session: Session, listing_id: int, limit: int) -> Sequence[Auction]:
    query = (
        select(Auction)
        .where(col(Auction.listing_id) == listing_id)
        .order_by(col(Auction.id).desc())
        .limit(min(limit, limits.page_size_max))
    )
    return session.exec(query).all()


def bids(session: Session, auction_id: int) -> Sequence[AuctionBid]:
    """Every bid of the auction, in commit order."""
    query = (
        select(AuctionBid)
        .where(col(AuctionBid.auction_id) == auction_id)
        .order_by(col(AuctionBid.commit_seq))
    )
    return session.exec(query).all()


def bid_of(session: Session, auction_id: int, organization_id: int) -> AuctionBid | None:
    query = select(AuctionBid).where(
        col(AuctionBid.auction_id) == auction_id,
        col(AuctionBid.organization_id) == organization_id,
    )
    return session.exec(query.execution_options(populate_existing=True)).first()


def save(session: Session, *rows: Auction | AuctionBid) -> None:
    for row in rows:
        session.add(row)
    session.flush()
