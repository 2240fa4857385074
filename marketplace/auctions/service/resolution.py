"""Resolving an auction once its reveal deadline has passed, exactly once.

1. Lock the auction row (PostgreSQL: ``SELECT … FOR NO KEY UPDATE``; SQLite: the transaction already
   holds the write lock), so concurrent resolutions queue.
2. Already resolved (or no sale): return the recorded result; nothing is written. This is what
   makes resolving idempotent: one result, one ``auction.resolved`` entry, however often and
   however concurrently it is asked for.
3. Cancelled: 409. Reveal deadline not reached: 409 ``not_yet_due``.
4. Run ``vickrey.resolve`` over every bid as stored; move each bid (a revealed bid below the
   reserve → rejected, an unrevealed one → forfeited) and the auction (resolved or no_sale).
5. A winner gets its order through ``orders.service.place`` (source "auction", the auction's
   price, the purpose it declared when committing) inside a savepoint: if orders refuses it
   (the winner is no longer verified, the listing was withdrawn), the result records why and
   the auction is resolved all the same. A self-custody winner signs its order itself
   afterwards (``winning``: ``POST /auctions/{id}/order/draft``, ``POST /auctions/{id}/order``);
   the result says so.
6. Write ``auction.resolved`` with every bid's verdict, amount and forfeited deposit, the
   winner, the price and the order: a bidder recomputes it from the journal alone.

Forfeited deposits are recorded here; the money moves with the books (the orders and escrow
issue), which reads them from this entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc
from marketplace.assets.service import SigningContext
from marketplace.auctions import lifecycle, repository, vickrey
from marketplace.auctions.errors import AuctionNotFound, NotYetDue
from marketplace.auctions.lifecycle import AuctionEvent, BidEvent
from marketplace.auctions.models import Auction, AuctionBid, AuctionStatus, BidStatus
from marketplace.auctions.schemas import AuctionPublic, AuctionResult, ResultBid
from marketplace.auctions.service import _seams
from marketplace.auctions.service.views import auction_public, subject
from marketplace.errors import DatabourseError
from marketplace.settings import Settings

_CLOSED = (AuctionStatus.resolved, AuctionStatus.no_sale)
_REFUSAL_CHARS_MAX = 500  # orders' reason, as the journal keeps it


def rules_of(auction: Auction) -> vickrey.Rules:
    assert auction.id is not None
    return vickrey.Rules(
        auction_id=auction.id,
        reserve_minor=auction.reserve_minor,
        commit_deadline=as_utc(auction.commit_deadline),
        reveal_deadline=as_utc(auction.reveal_deadline),
    )


def sealed(bid: AuctionBid) -> vickrey.SealedBid:
    assert bid.id is not None
    reveal = None
    if bid.amount_minor is not None and bid.salt is not None and bid.revealed_at is not None:
        reveal = vickrey.Reveal(bid.amount_minor, bid.salt, as_utc(bid.revealed_at))
    return vickrey.SealedBid(bid.id, bid.commit_seq, bid.bidder, bid.commitment, reveal)


def resolve(
    session: Session, settings: Settings, auction_id: int, ctx: SigningContext, now: datetime
) -> AuctionPublic:
    """Resolve the auction if it is due (steps in the module docstring); return it."""
    auction = repository.lock(session, auction_id)
    if auction is None:
        raise AuctionNotFound(f"no auction {auction_id}")
    if AuctionStatus(auction.status) in _CLOSED:
        return auction_public(auction, now)
    if not lifecycle.resolution_due(auction, now):
        lifecycle.require(lifecycle.current(auction, now), AuctionEvent.resolve)
        raise NotYetDue(
            f"auction {auction_id} takes reveals until "
            f"{as_utc(auction.reveal_deadline).isoformat()}; resolve it after that"
        )
    _record(session, settings, auction, ctx, now)
    return auction_public(auction, now)


def resolve_if_due(
    session: Session,
    settings: Settings,
    auction: Auction,
    ctx: SigningContext | None,
    now: datetime,
) -> Auction:
    """The time-driven step applied on read: resolve a due auction (when the chain's signing
    context is known; otherwise it stays due until the next read or ``POST …/resolve``)."""
    if ctx is None or not lifecycle.resolution_due(auction, now):
        return auction
    assert auction.id is not None
    locked = repository.lock(session, auction.id)
    assert locked is not None
    if lifecycle.resolution_due(locked, now):
        _record(session, settings, locked, ctx, now)
    return locked


def _record(
    session: Session, settings: Settings, auction: Auction, ctx: SigningContext, now: datetime
) -> None:
    assert auction.id is not None
    bids = list(repository.bids(session, auction.id))
    outcome = vickrey.resolve(rules_of(auction), [sealed(b) for b in bids])
    for bid in bids:
        assert bid.id is not None
        if bid.status == BidStatus.committed:
            lifecycle.apply_bid(bid, BidEvent.forfeit)
        elif outcome.verdicts[bid.id] is not vickrey.Verdict.valid:
            lifecycle.apply_bid(bid, BidEvent.reject)
    event = AuctionEvent.resolve if outcome.sold else AuctionEvent.no_sale
    transition = lifecycle.apply(auction, event, now)
    order_id, refused = _order(session, settings, auction, bids, outcome, ctx=ctx, now=now)
    result = _result(auction, bids, outcome, order_id, refused)
    assert transition.kind is not None
    entry = journal.append(
        session,
        kind=transition.kind,
        subject=subject(auction.id),
        actor=_seams.exchange_address(ctx),
        payload=_payload(auction, result),
    )
    result["resolved_seq"], result["resolved_at"] = entry.seq, as_utc(now).isoformat()
    AuctionResult.model_validate(result)  # the stored result is what the API shows
    auction.result = result
    auction.winner_bid_id, auction.price_minor = outcome.winner, outcome.price_minor
    auction.order_id, auction.closed_seq, auction.closed_at = order_id, entry.seq, now
    repository.save(session, auction, *bids)


def _order(
    session: Session,
    settings: Settings,
    auction: Auction,
    bids: list[AuctionBid],
    outcome: vickrey.Outcome,
    *,
    ctx: SigningContext,
    now: datetime,
) -> tuple[int | None, str | None]:
    """Step 5: the winner's order, or why there is none."""
    if outcome.winner is None:
        return None, None
    assert outcome.price_minor is not None
    assert auction.id is not None
    winner = next(b for b in bids if b.id == outcome.winner)
    if not winner.custodial:
        return None, (
            f"the winner holds its own key and signs its order itself: POST /auctions/"
            f"{auction.id}/order/draft, then POST /auctions/{auction.id}/order"
        )
    principal = _seams.bidder_principal(session, winner)
    if principal is None:
        return None, "the winning organisation no longer exists"
    try:
        with session.begin_nested():
            order_id = _seams.place_order(
                session, settings, principal, listing_id=auction.listing_id,
                auction_id=auction.id, purpose=winner.purpose,
                price_minor=outcome.price_minor, ctx=ctx, now=now,
            )  # fmt: skip
    except DatabourseError as exc:
        return None, _WINNER_REFUSALS.get(exc.code, exc.message)[:_REFUSAL_CHARS_MAX]
    return order_id, None


# Refusals worded for the caller ("your organisation ..."), said of the winner instead: the
# reason is published in ``auction.resolved``.
_WINNER_REFUSALS = {
    "organization_suspended": "the winning organisation is suspended by the exchange's "
    "operators: no order is placed for it",
}


def _result(
    auction: Auction,
    bids: list[AuctionBid],
    outcome: vickrey.Outcome,
    order_id: int | None,
    refused: str | None,
) -> dict[str, Any]:
    by_id = {b.id: b for b in bids}
    order = outcome.ranking + [b.id for b in bids if b.id not in outcome.ranking]
    forfeited = set(outcome.forfeited)
    shown = []
    for bid_id in order:
        bid = by_id[bid_id]
        assert bid.id is not None
        shown.append(
            ResultBid(
                bid_id=bid.id,
                organization_id=bid.organization_id,
                bidder=bid.bidder,
                commit_seq=bid.commit_seq,
                status=bid.status,
                verdict=outcome.verdicts[bid.id].value,
                amount_minor=bid.amount_minor,
                deposit_forfeited_minor=auction.deposit_minor if bid.id in forfeited else 0,
            ).model_dump(mode="json")
        )
    winner = by_id.get(outcome.winner) if outcome.winner is not None else None
    return {
        "outcome": "sold" if outcome.sold else "no_sale",
        "winner_bid_id": outcome.winner,
        "winner_organization_id": None if winner is None else winner.organization_id,
        "price_minor": outcome.price_minor,
        "bids": shown,
        "order_id": order_id,
        "order_refused": refused,
    }


def _payload(auction: Auction, result: dict[str, Any]) -> dict[str, Any]:
    """``auction.resolved``: amounts as decimal strings (the journal's integers stop at
    2**53-1)."""

    def text(value: int | None) -> str | None:
        return None if value is None else str(value)

    return {
        "auction_id": auction.id,
        "listing_id": auction.listing_id,
        "outcome": result["outcome"],
        "reserve_minor": str(auction.reserve_minor),
        "winner_bid_id": result["winner_bid_id"],
        "winner_organization_id": result["winner_organization_id"],
        "price_minor": text(result["price_minor"]),
        "order_id": result["order_id"],
        "order_refused": result["order_refused"],
        "bids": [
            {
                "bid_id": b["bid_id"],
                "organization_id": b["organization_id"],
                "commit_seq": b["commit_seq"],
                "status": b["status"],
                "verdict": b["verdict"],
                "amount_minor": text(b["amount_minor"]),
                "deposit_forfeited_minor": str(b["deposit_forfeited_minor"]),
            }
            for b in result["bids"]
        ],
    }
