"""Auctions and bids as the API shows them."""

from __future__ import annotations

from datetime import datetime

from ledger.models import as_utc
from marketplace.auctions import lifecycle
from marketplace.auctions.models import Auction, AuctionBid
from marketplace.auctions.schemas import AuctionPublic, AuctionResult, BidPublic


def subject(auction_id: int) -> str:
    return f"auction:{auction_id}"


def auction_public(auction: Auction, now: datetime) -> AuctionPublic:
    """The auction as anyone sees it at ``now``: its state, terms and the number of sealed
    bids; the result with every bid once resolved."""
    assert auction.id is not None
    closed = auction.status in ("resolved", "no_sale")
    return AuctionPublic(
        id=auction.id,
        listing_id=auction.listing_id,
        supplier_organization_id=auction.supplier_organization_id,
        status=lifecycle.current(auction, now).value,
        currency=auction.currency,
        reserve_minor=auction.reserve_minor,
        deposit_minor=auction.deposit_minor,
        commit_deadline=as_utc(auction.commit_deadline),
        reveal_deadline=as_utc(auction.reveal_deadline),
        commitments=auction.commitments,
        opened_seq=auction.opened_seq,
        created_at=as_utc(auction.created_at),
        resolution_due=lifecycle.resolution_due(auction, now),
        cancelled_seq=auction.closed_seq if auction.status == "cancelled" else None,
        result=AuctionResult.model_validate(auction.result) if closed else None,
        order_id=auction.order_id,
    )


def bid_public(bid: AuctionBid) -> BidPublic:
    assert bid.id is not None
    return BidPublic(
        id=bid.id,
        auction_id=bid.auction_id,
        organization_id=bid.organization_id,
        bidder=bid.bidder,
        commitment=bid.commitment,
        purpose=bid.purpose,
        status=bid.status,
        commit_seq=bid.commit_seq,
        committed_at=as_utc(bid.committed_at),
        amount_minor=bid.amount_minor,
        salt=bid.salt,
        revealed_at=None if bid.revealed_at is None else as_utc(bid.revealed_at),
        reveal_seq=bid.reveal_seq,
    )
