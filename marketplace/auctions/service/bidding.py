"""Sealed bids: committing a hash before the commit deadline, revealing (amount, salt) after it
and before the reveal deadline.

Decisions (docs/auctions.md): one commitment per bidding organisation and auction, final (a
second is a 409: the commit is binding, and its seq decides ties); a reveal that does not open
the commitment is refused (422) and changes nothing, so a mistyped amount may be sent again
until the reveal deadline; a bid never revealed by then forfeits its deposit.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc
from marketplace import limits
from marketplace.auctions import commitment, lifecycle, repository
from marketplace.auctions.errors import (
    AlreadyCommitted,
    AuctionNotFound,
    AuctionStateConflict,
    BidStateConflict,
    NoBid,
    OwnAuction,
    RevealMismatch,
)
from marketplace.auctions.lifecycle import AuctionEvent, BidEvent
from marketplace.auctions.models import Auction, AuctionBid, BidStatus
from marketplace.auctions.schemas import BidCommit, BidPublic, BidReveal
from marketplace.auctions.service import _seams
from marketplace.auctions.service.views import bid_public, subject
from marketplace.principal import OrgRole, Principal, check_verified


def _locked(session: Session, auction_id: int) -> Auction:
    auction = repository.lock(session, auction_id)
    if auction is None:
        raise AuctionNotFound(f"no auction {auction_id}")
    return auction


def commit(
    session: Session, principal: Principal, auction_id: int, body: BidCommit, now: datetime
) -> BidPublic:
    """Record the caller's sealed bid and write ``auction.bid_committed`` (the commitment, the
    bidder's address, the purpose and the deposit owed). Locks, in this order and all before
    the journal head (docs/architecture.md, "Lock order"): the auction's row, then the
    bidder's and the listing's supplier organisations, the listing and its asset, share-locked
    (``_seams.held_for_bid``): a bid on a listing being paused, withdrawn or closed, or whose
    supplier or bidder is being suspended, waits for that change and is then refused as any
    bid on it (the bidder's: 403 ``organization_suspended``)."""
    check_verified(principal, OrgRole.buyer)
    auction = _locked(session, auction_id)
    organization_id = principal.organization.id
    assert organization_id is not None
    if organization_id == auction.supplier_organization_id:
        raise OwnAuction("you cannot bid in your own organisation's auction")
    transition = lifecycle.apply(auction, AuctionEvent.commit, now)
    if repository.bid_of(session, auction_id, organization_id) is not None:
        raise AlreadyCommitted(_already(auction_id))
    if auction.commitments >= limits.auction_bids_max:
        raise AuctionStateConflict(
            f"auction {auction_id} has the most bids it takes ({limits.auction_bids_max})"
        )
    _seams.held_for_bid(session, auction.listing_id, body.purpose, organization_id)
    bid = repository.add_bid(
        session,
        AuctionBid(
            auction_id=auction_id,
            organization_id=organization_id,
            account_id=principal.account_id,
            bidder=principal.address,
            custodial=principal.account.custodial,
            commitment=body.commitment,
            purpose=body.purpose,
            status=BidStatus.committed,
            commit_seq=0,  # set below, in the same transaction
            committed_at=now,
        ),
    )
    if bid is None:
        raise AlreadyCommitted(_already(auction_id))
    assert bid.id is not None
    assert transition.kind is not None
    entry = journal.append(
        session,
        kind=transition.kind,
        subject=subject(auction_id),
        actor=principal.address,
        payload={
            "auction_id": auction_id,
            "bid_id": bid.id,
            "organization_id": organization_id,
            "bidder": principal.address,
            "commitment": body.commitment,
            "purpose": body.purpose,
            "deposit_minor": str(auction.deposit_minor),
            "committed_at": as_utc(now).isoformat(),
        },
    )
    bid.commit_seq = entry.seq
    auction.commitments += 1
    repository.save(session, bid, auction)
    return bid_public(bid)


def _already(auction_id: int) -> str:
    return (
        f"your organisation already has a sealed bid in auction {auction_id}; a commitment is "
        "final (one per organisation)"
    )


def reveal(
    session: Session, principal: Principal, auction_id: int, body: BidReveal, now: datetime
) -> BidPublic:
    """Open the caller's sealed bid and write ``auction.bid_revealed`` (amount and salt, so
    anyone can recompute the commitment). Refused, changing nothing: before the commit deadline
    or after the reveal deadline (409), twice (409), or when (amount, salt) do not open the
    commitment (422)."""
    auction = _locked(session, auction_id)
    organization_id = principal.organization.id
    assert organization_id is not None
    bid = repository.bid_of(session, auction_id, organization_id)
    if bid is None:
        raise NoBid(f"your organisation has no sealed bid in auction {auction_id}")
    if now >= as_utc(auction.reveal_deadline) and auction.status == "committing":
        raise AuctionStateConflict(
            f"the reveal deadline of auction {auction_id} passed at "
            f"{as_utc(auction.reveal_deadline).isoformat()}; an unrevealed bid forfeits its "
            "deposit"
        )
    transition = lifecycle.apply(auction, AuctionEvent.reveal, now)
    if bid.status != BidStatus.committed:
        raise BidStateConflict(lifecycle.bid_refusal(bid.status, BidEvent.reveal))
    if not commitment.matches(bid.commitment, auction_id, bid.bidder, body.amount_minor, body.salt):
        raise RevealMismatch(
            f"amount {body.amount_minor} and this salt do not open your commitment "
            f"{bid.commitment} (keccak256(abi.encode(uint64 {auction_id}, address {bid.bidder}, "
            "uint256 amount, bytes32 salt))); nothing was recorded: send the amount and salt "
            "you committed with before the reveal deadline"
        )
    lifecycle.apply_bid(bid, BidEvent.reveal)
    assert transition.kind is not None
    entry = journal.append(
        session,
        kind=transition.kind,
        subject=subject(auction_id),
        actor=principal.address,
        payload={
            "auction_id": auction_id,
            "bid_id": bid.id,
            "bidder": bid.bidder,
            "amount_minor": str(body.amount_minor),
            "salt": body.salt,
            "revealed_at": as_utc(now).isoformat(),
        },
    )
    bid.amount_minor, bid.salt, bid.revealed_at, bid.reveal_seq = (
        body.amount_minor, body.salt, now, entry.seq,
    )  # fmt: skip
    repository.save(session, bid)
    return bid_public(bid)
