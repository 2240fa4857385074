"""Sending a quote, step by step (all in the caller's transaction; nothing is committed here):

1. the demand: one that exists (404), share-locked before anything else the send locks and
   before the journal head (docs/architecture.md, "Lock order"), and, read under that lock,
   open (409 naming its state: fulfilled, closed or expired), not the supplier's own
   organisation's (403). The lock holds the demand open until the quote commits: a close,
   fulfilment or expiry (each locks the demand's row for update, then the head) waits for the
   quote, and a quote sent while one of them holds the row waits for it, then is refused;
2. the listing: the supplier's own (403 otherwise), purchasable for the demand's purpose
   (``listings.service.purchasable``: active, its asset listed, the purpose permitted);
3. the terms: the listing's, or narrower ones (``narrowing``), permitting the demand's purpose;
4. the validity: whole seconds, from ``quote_validity_s_min`` to ``quote_validity_s_max`` ahead;
5. the supplier has sent fewer than ``quotes_per_demand_per_organization_max`` to the demand;
6. the supplier's EIP-712 signature over the offer (custodial: made here; self-custody: checked
   here), its nonce consumed once;
7. the row, the ``quote.offered`` entry holding the signed offer's EIP-712 digest and its
   validity (never the price or the terms: docs/decisions.md, "What the public journal shows of
   a trade"), and a notification to the demand's owner.

``draft`` runs steps 1 to 5 and hands back the offer to sign, writing nothing; it reads the
demand without locking it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from marketplace import limits
from marketplace.assets.service import SigningContext
from marketplace.identity import service as identity
from marketplace.identity import signing
from marketplace.listings.schemas import ListingPublic
from marketplace.listings.terms import Terms, refusal
from marketplace.principal import Principal
from marketplace.quotes import lifecycle, repository
from marketplace.quotes.errors import (
    InvalidValidity,
    NotYourListing,
    OwnDemand,
    QuoteSignatureInvalid,
    TermsNotNarrower,
    TooManyQuotes,
)
from marketplace.quotes.models import Quote
from marketplace.quotes.narrowing import widenings
from marketplace.quotes.offer import QuoteOffer, terms_hash
from marketplace.quotes.schemas import QuoteCreate, QuoteDraft, QuoteFields, QuotePublic
from marketplace.quotes.service import peers
from marketplace.quotes.service.journaling import journal_quote
from marketplace.quotes.service.views import quote_public
from marketplace.settings import Settings


@dataclass(frozen=True)
class _Checked:
    """A quote that passed steps 1 to 5, ready to sign."""

    demand: peers.Demand
    listing: ListingPublic
    terms: Terms
    price_minor: int
    valid_until: datetime

    def offer(self, supplier: str, nonce: int, deadline: int) -> QuoteOffer:
        return QuoteOffer(
            demand_id=self.demand.id,
            listing_id=self.listing.id,
            asset_id=self.listing.asset_id,
            supplier=supplier,
            price_minor=self.price_minor,
            currency=self.listing.currency,
            terms_hash=terms_hash(self.terms.model_dump(mode="json")),
            valid_until=int(self.valid_until.timestamp()),
            nonce=str(nonce),
            deadline=deadline,
        )


def _not_own(principal: Principal, demand: peers.Demand) -> None:
    assert demand.open
    if demand.owner_organization_id == principal.organization.id:
        raise OwnDemand("you cannot quote on your own organisation's demand")


def _own_listing(
    session: Session, principal: Principal, listing_id: int, purpose: str
) -> ListingPublic:
    listing = peers.listing(session, listing_id)
    if listing.supplier_organization_id != principal.organization.id:
        raise NotYourListing(
            f"listing {listing_id} is not your organisation's; quote with your own"
        )
    return peers.purchasable(session, listing_id, purpose)


def _terms(listing: ListingPublic, asked: Terms | None, purpose: str) -> Terms:
    terms = asked if asked is not None else listing.terms
    wider = widenings(terms, listing.terms)
    if wider:
        raise TermsNotNarrower("a quote's terms may only narrow its listing's: " + "; ".join(wider))
    refused = refusal(terms, purpose)
    if refused is not None:
        raise TermsNotNarrower(f"the quote's terms do not permit the demand's purpose: {refused}")
    return terms


def _valid_until(asked: datetime, now: datetime) -> datetime:
    earliest = now + timedelta(seconds=limits.quote_validity_s_min)
    latest = now + timedelta(seconds=limits.quote_validity_s_max)
    try:
        moment: datetime | None = asked.astimezone(UTC).replace(microsecond=0)
    except OverflowError:  # its offset carries it past year 1 or 9999: far outside the window
        moment = None
    if moment is None or not earliest <= moment <= latest:
        raise InvalidValidity(
            f"valid_until must lie {limits.quote_validity_s_min} s to "
            f"{limits.quote_validity_s_max // 86400} days ahead (between "
            f"{earliest:%Y-%m-%dT%H:%M:%SZ} and {latest:%Y-%m-%dT%H:%M:%SZ})"
        )
    return moment


def _checked(
    session: Session, principal: Principal, demand: peers.Demand, body: QuoteFields, now: datetime
) -> _Checked:
    """Steps 2 to 5, and the rest of step 1, on ``demand`` (found open)."""
    _not_own(principal, demand)
    demand_id = demand.id
    listing = _own_listing(session, principal, body.listing_id, demand.purpose)
    terms = _terms(listing, body.terms, demand.purpose)
    valid_until = _valid_until(body.valid_until, now)
    assert principal.organization.id is not None
    sent = repository.count_by_supplier(session, demand_id, principal.organization.id)
    if sent >= limits.quotes_per_demand_per_organization_max:
        raise TooManyQuotes(
            f"your organisation has sent {sent} quotes to demand {demand_id}, the most it may"
        )
    return _Checked(demand, listing, terms, body.price_minor, valid_until)


def draft(
    session: Session,
    principal: Principal,
    demand_id: int,
    body: QuoteFields,
    *,
    ctx: SigningContext,
    now: datetime,
) -> QuoteDraft:
    """The offer a self-custody supplier signs, with a fresh nonce; writes nothing (and locks
    nothing: the demand is read, not held)."""
    demand = peers.demand_to_quote(session, demand_id, now)
    checked = _checked(session, principal, demand, body, now)
    deadline = int(now.timestamp()) + limits.signing_offer_ttl_s
    offer = checked.offer(principal.address, signing.new_nonce(), deadline)
    return QuoteDraft(
        offer=offer.document(),
        terms_hash=offer.terms_hash,
        nonce=offer.nonce,
        deadline=offer.deadline,
        typed_data=signing.wallet_json(offer.typed_data(ctx.domain)),
    )


def _signed(
    session: Session,
    settings: Settings,
    principal: Principal,
    offer_for: Callable[[int, int], QuoteOffer],
    *,
    body: QuoteCreate,
    ctx: SigningContext,
    now: datetime,
) -> tuple[QuoteOffer, str]:
    """The offer and the supplier's signature over it: checked when the client signed, made
    with the custodial key otherwise. Either way the nonce is consumed once."""
    now_s = int(now.timestamp())
    nonce, deadline = identity.nonce_and_deadline(body.signature, body.nonce, body.deadline, now_s)
    offer = offer_for(nonce, deadline)
    signature = identity.signature_of(
        session, settings, principal, offer.typed_data(ctx.domain), signature=body.signature,
        refused=lambda why: QuoteSignatureInvalid(
            f"the signature does not cover this quote: {why}; get the offer from "
            "POST /demands/{id}/quotes/draft and sign that"
        ),
    )  # fmt: skip
    identity.consume_signature_nonce(session, principal.address, nonce, deadline, now_s)
    return offer, signature


def send(
    session: Session,
    settings: Settings,
    principal: Principal,
    demand_id: int,
    body: QuoteCreate,
    *,
    ctx: SigningContext,
    now: datetime,
) -> QuotePublic:
    """Send a quote (steps in the module's docstring)."""
    demand = peers.demand_held_to_quote(session, demand_id, now)
    checked = _checked(session, principal, demand, body, now)
    offer, signature = _signed(
        session, settings, principal, lambda n, d: checked.offer(principal.address, n, d),
        body=body, ctx=ctx, now=now,
    )  # fmt: skip
    terms = checked.terms.model_dump(mode="json")
    buyer = checked.demand.owner_organization_id
    assert buyer is not None, "a demand to quote names its owner"
    supplier = principal.organization.id
    assert supplier is not None
    quote = Quote(
        demand_id=demand_id,
        listing_id=checked.listing.id,
        asset_id=checked.listing.asset_id,
        supplier_organization_id=supplier,
        buyer_organization_id=buyer,
        offered_by=principal.account_id,
        price_minor=checked.price_minor,
        currency=offer.currency,
        terms=terms,
        terms_hash=offer.terms_hash,
        valid_until=checked.valid_until,
        status=lifecycle.INITIAL,
        signer=principal.address,
        signature=signature,
        nonce=offer.nonce,
        deadline=offer.deadline,
        offer_seq=0,
        created_at=now,
    )
    repository.add(session, quote)
    quote.offer_seq = journal_quote(
        session, lifecycle.CREATED_KIND, quote, principal.address,
        {"offer_digest": signing.digest(offer.typed_data(ctx.domain)),
         "valid_until": offer.valid_until}, signature=signature,
    )  # fmt: skip
    repository.add(session, quote)
    assert quote.id is not None
    peers.notify(
        session, quote.buyer_organization_id, "quote.received", quote.id,
        {"demand_id": demand_id, "price_minor": str(quote.price_minor), "currency": quote.currency},
    )  # fmt: skip
    return quote_public(quote, principal)
