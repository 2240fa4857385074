"""All SQL for auctions. Row locks (``with_for_update``) live here: resolving, revealing and
committing lock the auction row, so that on PostgreSQL concurrent requests queue on it (SQLite's
``BEGIN IMMEDIATE`` already serialises writers)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, or_
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace import limits
from marketplace.auctions.models import Auction, AuctionBid, AuctionStatus


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
    query = select(Auction).where(col(Auction.id) == auction_id).with_for_update(key_share=True)
    return session.exec(query.execution_options(populate_existing=True)).first()


def for_listing(session: Session, listing_id: int, limit: int) -> Sequence[Auction]:
    query = (
        select(Auction)
        .where(col(Auction.listing_id) == listing_id)
        .order_by(col(Auction.id).desc())
        .limit(min(limit, limits.page_size_max))
    )
    return session.exec(query).all()


def any_unsettled(session: Session, listing_id: int) -> bool:
    """Whether the listing has an auction stored as committing or revealing, or resolved with
    no order yet: one ``LIMIT 1`` query reading no row, for the purchase path, where the answer
    is almost always no (the rows themselves are read only when it is yes)."""
    return session.execute(_any_unsettled(), {"listing_id": listing_id}).first() is not None


@functools.cache
def _any_unsettled() -> Select[Any]:
    """``any_unsettled``'s statement, built once."""
    table = cast(Table, Auction.__table__)  # type: ignore[attr-defined]
    unsettled = or_(
        table.c.status.in_([AuctionStatus.committing.value, AuctionStatus.revealing.value]),
        and_(table.c.status == AuctionStatus.resolved.value, table.c.order_id.is_(None)),
    )
    return (
        sa_select(table.c.id)
        .where(table.c.listing_id == bindparam("listing_id"), unsettled)
        .limit(1)
    )


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
