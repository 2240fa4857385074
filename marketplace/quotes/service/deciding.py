"""What happens to an offered quote: the demand's owner accepts it (which places the order) or
rejects it; its supplier withdraws it.

Accepting, step by step (all in the caller's transaction; nothing is committed here):

1. the quote: one the caller may see (404), of the caller's own demand (403), still offered
   (409 naming its state) and not lapsed (409 ``quote_expired``);
2. the rows it changes, locked before its first journal append (docs/architecture.md, "Lock
   order"): the demand's row, for update, first: concurrent acceptances of two quotes of one
   demand queue there (the second finds its quote rejected), and a quote being sent (which
   share-locks the demand) either committed before, and is among the offered quotes rejected
   in step 5, or waits and finds the demand fulfilled; then the demand's offered quotes in id
   order, this one among them; the quote checked again (its supplier may have withdrawn it
   meanwhile); the listing and its asset, share-locked as placing the order locks them;
3. the demand: open (409 naming its state), then ``matching.service.fulfil`` marks it
   fulfilled (``demand.fulfilled``). The partial unique index on accepted quotes holds
   one accepted quote per demand even if a path skipped the locks;
4. the order, placed through ``orders.service.place`` with the quote's price and the quote's
   terms (narrower than the listing's or the same, checked when the quote was sent), source
   "quote": signed by the exchange with a custodial buyer's key, or by a self-custody buyer
   over the order ``accept_draft`` handed out (its signature, nonce and deadline);
5. the quote accepted (``quote.accepted``, with the order's id); every other quote of the
   demand that step 2 locked offered rejected (``quote.rejected``, reason
   ``another_accepted``) or, if lapsed, expired (``quote.expired``);
6. notifications: the accepted quote's supplier, and each supplier whose quote lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from marketplace.assets.service import SigningContext
from marketplace.listings.terms import Terms
from marketplace.orders.schemas import OrderDraft, OrderSignature
from marketplace.principal import Principal
from marketplace.quotes import lifecycle, repository
from marketplace.quotes.errors import (
    DemandAlreadyAwarded,
    DemandNotOpen,
    NotDemandOwner,
    NotQuoteSupplier,
    QuoteExpired,
)
from marketplace.quotes.lifecycle import QuoteEvent
from marketplace.quotes.models import Quote
from marketplace.quotes.schemas import QuotePublic
from marketplace.quotes.service import peers
from marketplace.quotes.service.expiry import expire
from marketplace.quotes.service.journaling import journal_quote
from marketplace.quotes.service.views import quote_public, visible
from marketplace.settings import Settings

_DONE: dict[QuoteEvent, str] = {
    QuoteEvent.accept: "accepted",
    QuoteEvent.reject: "rejected",
    QuoteEvent.withdraw: "withdrawn",
}


def _actionable(quote: Quote, event: QuoteEvent, now: datetime) -> None:
    """409 unless ``event`` may happen to the quote now: the lifecycle's refusal naming its
    state, or ``quote_expired`` once its validity has ended."""
    lifecycle.require(quote, event)
    if lifecycle.lapsed(quote, now):
        raise QuoteExpired(
            f"quote {quote.id} expired at {quote.valid_until:%Y-%m-%d %H:%M:%S} UTC; it can no "
            f"longer be {_DONE[event]}"
        )


def _locked(session: Session, quote_id: int) -> Quote:
    quote = repository.lock(session, quote_id)
    assert quote is not None, "quotes are never deleted"
    return quote


def _decide(
    session: Session,
    quote: Quote,
    event: QuoteEvent,
    principal: Principal,
    now: datetime,
    **payload: object,
) -> None:
    """Move the quote by ``event`` and journal it, as ``principal``'s act."""
    transition = lifecycle.apply(quote, event)
    quote.decided_at = now
    quote.decided_by = principal.account_id
    quote.decision_seq = journal_quote(session, transition.kind, quote, principal.address, payload)


def _buyers(session: Session, principal: Principal, quote_id: int) -> Quote:
    quote = visible(session, principal, quote_id)
    if quote.buyer_organization_id != principal.organization.id:
        raise NotDemandOwner("only the demand's owner may accept or reject its quotes")
    return quote


def _award_siblings(
    session: Session, principal: Principal, winner: Quote, offered: Sequence[Quote], now: datetime
) -> list[Quote]:
    """Reject (or, if lapsed, expire) the demand's other ``offered`` quotes (locked); the
    rejected ones."""
    lost: list[Quote] = []
    for other in offered:
        if other.id == winner.id:
            continue
        if lifecycle.lapsed(other, now):
            expire(session, other, now)
            continue
        _decide(
            session, other, QuoteEvent.supersede, principal, now,
            reason="another_accepted", accepted_quote_id=winner.id,
        )  # fmt: skip
        repository.add(session, other)
        lost.append(other)
    return lost


def _acceptable(
    session: Session, principal: Principal, quote_id: int, now: datetime
) -> tuple[Quote, peers.Demand]:
    """Step 1 and the demand's state: the quote the caller may accept now, and its demand."""
    quote = _buyers(session, principal, quote_id)
    _actionable(quote, QuoteEvent.accept, now)
    demand = peers.demand_seen(session, principal, quote.demand_id, now)
    assert demand is not None, "a demand's owner sees it"
    if not demand.open:
        raise DemandNotOpen(
            f"demand {demand.id} is {demand.status}; a quote is accepted only on an open demand"
        )
    return quote, demand


def accept_draft(
    session: Session, principal: Principal, quote_id: int, *, ctx: SigningContext, now: datetime
) -> OrderDraft:
    """The order a self-custody buyer signs to accept the quote: the quote's price and terms,
    a fresh nonce (writes nothing)."""
    quote, demand = _acceptable(session, principal, quote_id, now)
    return peers.draft_order(
        session, principal, listing_id=quote.listing_id, purpose=demand.purpose,
        quote_id=quote_id, price_minor=quote.price_minor,
        terms=Terms.model_validate(quote.terms), ctx=ctx, now=now,
    )  # fmt: skip


def accept(
    session: Session,
    settings: Settings,
    principal: Principal,
    quote_id: int,
    *,
    signed: OrderSignature | None = None,
    ctx: SigningContext,
    now: datetime,
) -> QuotePublic:
    """Accept a quote (steps in the module's docstring). ``signed``: a self-custody buyer's
    signature over the order from ``accept_draft``; None for a custodial buyer."""
    quote, demand = _acceptable(session, principal, quote_id, now)
    peers.lock_demand_to_award(session, demand.id)
    offered = repository.lock_offered_of_demand(session, demand.id)
    quote = _locked(session, quote_id)
    _actionable(quote, QuoteEvent.accept, now)
    peers.held_for_sale(
        session,
        quote.listing_id,
        demand.purpose,
        buyer_organization_id=principal.account.organization_id,
    )
    peers.fulfil(session, demand.id, quote_id, now)
    if repository.accepted_of_demand(session, demand.id) is not None:
        raise DemandAlreadyAwarded(f"demand {demand.id} has accepted a quote already")
    quote.order_id = peers.place_order(
        session, settings, principal, listing_id=quote.listing_id, purpose=demand.purpose,
        quote_id=quote_id, price_minor=quote.price_minor,
        terms=Terms.model_validate(quote.terms), signed=signed, ctx=ctx, now=now,
    )  # fmt: skip
    _decide(session, quote, QuoteEvent.accept, principal, now, order_id=quote.order_id)
    if not repository.save(session, quote):
        raise DemandAlreadyAwarded(f"demand {demand.id} has accepted a quote already")
    lost = _award_siblings(session, principal, quote, offered, now)
    peers.notify(
        session, quote.supplier_organization_id, "quote.accepted", quote_id,
        {"demand_id": demand.id, "order_id": quote.order_id},
    )  # fmt: skip
    for other in lost:
        assert other.id is not None
        peers.notify(
            session, other.supplier_organization_id, "quote.rejected", other.id,
            {"demand_id": demand.id, "reason": "another_accepted"},
        )  # fmt: skip
    return quote_public(quote, principal)


def reject(session: Session, principal: Principal, quote_id: int, *, now: datetime) -> QuotePublic:
    """The demand's owner turns a quote down (``quote.rejected``, reason ``buyer``)."""
    quote = _buyers(session, principal, quote_id)
    assert quote.id is not None
    quote = _locked(session, quote.id)
    _actionable(quote, QuoteEvent.reject, now)
    _decide(session, quote, QuoteEvent.reject, principal, now, reason="buyer")
    repository.add(session, quote)
    peers.notify(
        session, quote.supplier_organization_id, "quote.rejected", quote_id,
        {"demand_id": quote.demand_id, "reason": "buyer"},
    )  # fmt: skip
    return quote_public(quote, principal)


def withdraw(
    session: Session, principal: Principal, quote_id: int, *, now: datetime
) -> QuotePublic:
    """The supplier takes its quote back (``quote.withdrawn``)."""
    quote = visible(session, principal, quote_id)
    if quote.supplier_organization_id != principal.organization.id:
        raise NotQuoteSupplier("only the organisation that sent a quote may withdraw it")
    quote = _locked(session, quote_id)
    _actionable(quote, QuoteEvent.withdraw, now)
    _decide(session, quote, QuoteEvent.withdraw, principal, now)
    repository.add(session, quote)
    peers.notify(
        session, quote.buyer_organization_id, "quote.withdrawn", quote_id,
        {"demand_id": quote.demand_id},
    )  # fmt: skip
    return quote_public(quote, principal)
