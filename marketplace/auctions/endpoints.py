"""Auction HTTP endpoints. Reads are public (no login); a read past the reveal deadline applies
the resolution, as ``POST /auctions/{id}/resolve`` does for anyone who asks.

The clock is a dependency (``current_time``), so tests move time without sleeping
(``app.dependency_overrides[current_time]``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets.service import SigningContext, signing_context
from marketplace.auctions import service
from marketplace.auctions.schemas import (
    AuctionCreate,
    AuctionPublic,
    BidCommit,
    BidPublic,
    BidReveal,
)
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.errors import DatabourseError
from marketplace.identity.auth import VerifiedBuyer, VerifiedSupplier
from marketplace.orders.schemas import OrderDraft, OrderPublic, OrderSignature
from marketplace.paging import ID_DIGITS
from marketplace.ratelimit.routes import per_organization

router = APIRouter(tags=["auctions"])
AuctionId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="auction id")]


def current_time() -> datetime:
    """Now, as every auction rule reads it (overridden in tests)."""
    return utc_now()


Now = Annotated[datetime, Depends(current_time)]


def _signing(runtime: RuntimeDep) -> SigningContext:
    return signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)


def _signing_if_ready(runtime: RuntimeDep) -> SigningContext | None:
    """The signing context once the chain is known; a read resolves only then."""
    try:
        return _signing(runtime)
    except DatabourseError:
        return None


Signing = Annotated[SigningContext, Depends(_signing)]
SigningIfReady = Annotated[SigningContext | None, Depends(_signing_if_ready)]


@router.post(
    "/auctions", status_code=201, summary="Open a sealed-bid auction of an exclusive listing"
)
def open_auction(
    body: AuctionCreate,
    principal: VerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
    now: Now,
) -> AuctionPublic:
    """Writes ``auction.opened`` with the reserve, the deposit each bidder owes, the deadlines
    and the commitment scheme."""
    return service.open_auction(session, runtime.settings, principal, body, now)


@router.get("/auctions", summary="A listing's auctions, newest first (public)")
def list_auctions(
    listing_id: Annotated[int, Query(ge=1, le=limits.id_max)],
    session: SessionDep,
    runtime: RuntimeDep,
    ctx: SigningIfReady,
    now: Now,
) -> list[AuctionPublic]:
    return service.for_listing(session, runtime.settings, listing_id, ctx, now)


@router.get("/auctions/{auction_id}", summary="One auction, with its result once resolved (public)")
def get_auction(
    auction_id: AuctionId, session: SessionDep, runtime: RuntimeDep, ctx: SigningIfReady, now: Now
) -> AuctionPublic:
    return service.get(session, runtime.settings, auction_id, ctx, now)


@router.post(
    "/auctions/{auction_id}/bids",
    status_code=201,
    summary="Commit a sealed bid (verified buyers)",
    dependencies=[Depends(per_organization(lambda rules: rules.bid))],
)
def commit_bid(
    auction_id: AuctionId, body: BidCommit, principal: VerifiedBuyer, session: SessionDep, now: Now
) -> BidPublic:
    """``commitment`` = keccak256(abi.encode(uint64 auction_id, address bidder, uint256 amount,
    bytes32 salt)), ``bidder`` being your account's address. One per organisation, final. At
    most ``bids_per_organization_max`` commits tried per ``bid_window_s``, then 429."""
    return service.commit(session, principal, auction_id, body, now)


@router.get("/auctions/{auction_id}/bids/mine", summary="Your organisation's bid in the auction")
def my_bid(auction_id: AuctionId, principal: VerifiedBuyer, session: SessionDep) -> BidPublic:
    return service.my_bid(session, principal, auction_id)


@router.post("/auctions/{auction_id}/reveal", summary="Reveal your sealed bid (amount and salt)")
def reveal_bid(
    auction_id: AuctionId, body: BidReveal, principal: VerifiedBuyer, session: SessionDep, now: Now
) -> BidPublic:
    return service.reveal(session, principal, auction_id, body, now)


@router.post(
    "/auctions/{auction_id}/resolve",
    summary="Resolve the auction after its reveal deadline (anyone; idempotent)",
)
def resolve_auction(
    auction_id: AuctionId, session: SessionDep, runtime: RuntimeDep, ctx: Signing, now: Now
) -> AuctionPublic:
    """Writes ``auction.resolved`` once; asking again returns the same result."""
    return service.resolve(session, runtime.settings, auction_id, ctx, now)


@router.post("/auctions/{auction_id}/cancel", summary="Cancel your auction before any bid")
def cancel_auction(
    auction_id: AuctionId, principal: VerifiedSupplier, session: SessionDep, now: Now
) -> AuctionPublic:
    return service.cancel(session, principal, auction_id, now)


@router.post(
    "/auctions/{auction_id}/order/draft",
    summary="The winner's order to sign with its own key (the winner; writes nothing)",
)
def winner_order_draft(
    auction_id: AuctionId, principal: VerifiedBuyer, session: SessionDep, ctx: Signing, now: Now
) -> OrderDraft:
    """At the auction's (Vickrey) price, for the purpose declared with the winning bid."""
    return service.order_draft(session, principal, auction_id, ctx=ctx, now=now)


@router.post(
    "/auctions/{auction_id}/order",
    status_code=201,
    summary="Place the winner's order (the winner, once)",
)
def winner_order(
    auction_id: AuctionId,
    *,
    principal: VerifiedBuyer,
    session: SessionDep,
    runtime: RuntimeDep,
    ctx: Signing,
    now: Now,
    body: OrderSignature | None = None,
) -> OrderPublic:
    """A self-custody winner sends its ``signature`` over the order from the draft, with the
    draft's ``nonce`` and ``deadline``; a custodial winner whose order the resolution could not
    place sends no body. 409 once the auction has its order."""
    return service.place_order(
        session, runtime.settings, principal, auction_id, signed=body, ctx=ctx, now=now
    )
