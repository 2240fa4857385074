"""Where auctions meet other domains, each through its service: the listing an auction sells
(``listings.service``; not held by an exclusive order: ``orders.service.exclusive_holder``),
the order its winner gets (``orders.service.place`` and ``draft``), and the winner as a
``Principal`` (``identity.service``). Nothing else in the package calls them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from eth_account import Account as EthAccount
from sqlmodel import Session

from marketplace.assets.service import SigningContext
from marketplace.auctions.errors import ExclusiveHeld, ListingNotAuctionable, NotYourAuction
from marketplace.auctions.models import AuctionBid
from marketplace.identity import service as identity
from marketplace.listings import service as listings
from marketplace.listings.schemas import ListingPublic
from marketplace.orders import service as orders
from marketplace.orders.schemas import OrderDraft, OrderPublic, OrderSignature
from marketplace.principal import Principal
from marketplace.settings import Settings


def auctionable_listing(session: Session, principal: Principal, listing_id: int) -> ListingPublic:
    """The listing an auction may sell: the caller's own, active and available, with exclusive
    terms (403 / 422 naming the reason otherwise; 404 from listings when it does not exist).
    Locked until the transaction ends, before its first journal append, so that two openings
    on one listing take turns: the second finds the first's auction under way."""
    listings.lock(session, listing_id)
    listing = listings.public(session, listing_id)
    if listing.supplier_organization_id != principal.organization.id:
        raise NotYourAuction(f"listing {listing_id} is not your organisation's")
    if not listing.available:
        raise ListingNotAuctionable(
            f"listing {listing_id} is {listing.status} and not available "
            f"({listing.unavailable_reason}); only an available listing can be auctioned"
        )
    if not listing.exclusive:
        raise ListingNotAuctionable(
            f"listing {listing_id} offers a non-exclusive licence; auctions are for exclusive "
            "licences (terms.exclusive = true)"
        )
    holder = orders.exclusive_holder(session, listing_id)
    if holder is not None:
        raise ExclusiveHeld(
            f"listing {listing_id} is exclusive and placed order {holder} holds it; it can be "
            "auctioned only if that order is cancelled"
        )
    return listing


def held_for_bid(session: Session, listing_id: int, purpose: str, bidder: int) -> None:
    """The listing can still be bought for ``purpose`` by the ``bidder`` organisation (a 4xx
    naming the reason otherwise), read under a share lock on the bidder's and the listing's
    supplier organisations, the listing and its asset held until the bid's transaction ends
    (``listings.service.held_for_sale``, as a purchase takes them). Taken after the auction's
    row and before the journal head, so a pause, withdrawal or close of the listing, or the
    bidder's or the supplier's suspension (each locks its row, then the head) waits for the
    bid, or the bid waits for it and finds it no longer for sale (a suspended bidder: 403
    ``organization_suspended``): a bid is never committed after the journal says its listing
    stopped selling or either party was suspended."""
    listings.held_for_sale(session, listing_id, purpose, buyer_organization_id=bidder)


@dataclass(frozen=True)
class _BidderAccount:
    """The winning bidder's account as ``Principal`` needs it, from what its bid recorded."""

    id: int | None
    organization_id: int
    address: str
    custodial: bool
    membership_role: str = "member"
    email: str | None = None


def bidder_principal(session: Session, bid: AuctionBid) -> Principal | None:
    """The bidder as the principal its order is placed for; None if its organisation is gone."""
    organization = identity.organization(session, bid.organization_id)
    if organization is None:
        return None
    roles = frozenset(identity.organization_roles(session, bid.organization_id))
    account = _BidderAccount(bid.account_id, bid.organization_id, bid.bidder, bid.custodial)
    return Principal(account=account, organization=organization, roles=roles, token_id=0)


def place_order(
    session: Session,
    settings: Settings,
    winner: Principal,
    *,
    listing_id: int,
    auction_id: int,
    purpose: str,
    price_minor: int,
    ctx: SigningContext,
    now: datetime,
) -> int:
    """The winner's order at the auction's price: the one call into orders."""
    order = orders.place(
        session, settings, winner, listing_id=listing_id, purpose=purpose, source="auction",
        source_id=auction_id, price_minor=price_minor, ctx=ctx, now=now,
    )  # fmt: skip
    return order.id


def place_order_signed(
    session: Session,
    settings: Settings,
    winner: Principal,
    *,
    listing_id: int,
    auction_id: int,
    purpose: str,
    price_minor: int,
    signed: OrderSignature | None,
    ctx: SigningContext,
    now: datetime,
) -> OrderPublic:
    """The winner's order placed by the winner: signed by it (``signed``) or, custodial, by
    the exchange with its key."""
    return orders.place(
        session, settings, winner, listing_id=listing_id, purpose=purpose, source="auction",
        source_id=auction_id, price_minor=price_minor,
        signature=None if signed is None else signed.signature,
        nonce=None if signed is None else signed.nonce,
        deadline=None if signed is None else signed.deadline, ctx=ctx, now=now,
    )  # fmt: skip


def draft_order(
    session: Session,
    winner: Principal,
    *,
    listing_id: int,
    auction_id: int,
    purpose: str,
    price_minor: int,
    ctx: SigningContext,
    now: datetime,
) -> OrderDraft:
    """The winner's order to sign with its own key (writes nothing)."""
    return orders.draft(
        session, winner, listing_id=listing_id, purpose=purpose, quantity=None,
        source="auction", source_id=auction_id, price_minor=price_minor, ctx=ctx, now=now,
    )  # fmt: skip


def exchange_address(ctx: SigningContext) -> str:
    """The exchange's address: the actor of the entries it writes by itself (a resolution)."""
    address: str = EthAccount.from_key(ctx.exchange_key).address
    return address
