"""The winner's order placed by the winner itself, after the resolution.

The resolution places a custodial winner's order at once (the exchange signs with its key). A
self-custody winner signs its own: ``order_draft`` hands out the order (the auction's listing,
the purpose the winner declared with its bid, the Vickrey price, source "auction"), and
``place_order`` places it with the winner's signature. A custodial winner whose order the
resolution could not place (say its organisation was not verified then) may place it here too,
with no signature. Only the winning organisation, only once (409 once the auction has its
order), and only on a sold auction.

Placing writes ``order.placed`` (source "auction", the auction's id): that entry is the record
that the auction's ``order_id`` is set, in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from marketplace.assets.service import SigningContext
from marketplace.auctions import lifecycle, repository
from marketplace.auctions.errors import AuctionNotFound, AuctionStateConflict, NotWinner
from marketplace.auctions.models import Auction, AuctionBid, AuctionStatus
from marketplace.auctions.service import _seams
from marketplace.orders.schemas import OrderDraft, OrderPublic, OrderSignature
from marketplace.principal import Principal
from marketplace.settings import Settings


def _winning(
    session: Session, principal: Principal, auction_id: int, *, lock: bool, now: datetime
) -> tuple[Auction, AuctionBid]:
    """The sold auction without an order yet, and the caller's winning bid (404 / 409 / 403)."""
    auction = (repository.lock if lock else repository.get)(session, auction_id)
    if auction is None:
        raise AuctionNotFound(f"no auction {auction_id}")
    if auction.status != AuctionStatus.resolved or auction.winner_bid_id is None:
        due = (
            f"; its reveals are over: resolve it (POST /auctions/{auction_id}/resolve, anyone "
            "may) to learn its winner"
            if lifecycle.resolution_due(auction, now)
            else ""
        )
        raise AuctionStateConflict(
            f"auction {auction_id} is {lifecycle.current(auction, now)}{due}; only a sold "
            "(resolved) auction's winner places an order from it"
        )
    assert principal.organization.id is not None
    bid = repository.bid_of(session, auction_id, principal.organization.id)
    if bid is None or bid.id != auction.winner_bid_id:
        raise NotWinner(f"only the winner of auction {auction_id} places its order")
    if auction.order_id is not None:
        raise AuctionStateConflict(
            f"auction {auction_id} has its order already (order {auction.order_id})"
        )
    return auction, bid


def order_draft(
    session: Session, principal: Principal, auction_id: int, *, ctx: SigningContext, now: datetime
) -> OrderDraft:
    """The winner's order to sign locally (writes nothing)."""
    auction, bid = _winning(session, principal, auction_id, lock=False, now=now)
    assert auction.price_minor is not None
    return _seams.draft_order(
        session, principal, listing_id=auction.listing_id, auction_id=auction_id,
        purpose=bid.purpose, price_minor=auction.price_minor, ctx=ctx, now=now,
    )  # fmt: skip


def place_order(
    session: Session,
    settings: Settings,
    principal: Principal,
    auction_id: int,
    *,
    signed: OrderSignature | None,
    ctx: SigningContext,
    now: datetime,
) -> OrderPublic:
    """Place the winner's order at the auction's price (steps in the module docstring)."""
    auction, bid = _winning(session, principal, auction_id, lock=True, now=now)
    assert auction.price_minor is not None
    order = _seams.place_order_signed(
        session, settings, principal, listing_id=auction.listing_id, auction_id=auction_id,
        purpose=bid.purpose, price_minor=auction.price_minor, signed=signed, ctx=ctx, now=now,
    )  # fmt: skip
    auction.order_id = order.id
    repository.save(session, auction)
    return order
