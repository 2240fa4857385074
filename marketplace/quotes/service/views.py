"""Who may see a quote, and the quote as the API shows it.

A quote is seen by the organisation that sent it and the organisation that owns its demand,
and by no one else: to anyone else it does not exist (404), so that a rival learns neither a
price nor that a quote was sent. The supplier learns who asked only once its quote is accepted
(an order placed), as demands hide their buyer from the suppliers answering them.
"""

from __future__ import annotations

from sqlmodel import Session

from marketplace.listings.terms import Terms, plain_words
from marketplace.principal import Principal
from marketplace.quotes import repository
from marketplace.quotes.errors import QuoteNotFound
from marketplace.quotes.models import Quote
from marketplace.quotes.offer import QuoteOffer
from marketplace.quotes.schemas import QuotePublic


def may_see(principal: Principal, quote: Quote) -> bool:
    org = principal.organization.id
    return org in (quote.supplier_organization_id, quote.buyer_organization_id)


def visible(session: Session, principal: Principal, quote_id: int) -> Quote:
    quote = repository.get(session, quote_id)
    if quote is None or not may_see(principal, quote):
        raise QuoteNotFound(f"no quote {quote_id}")
    return quote


def offer_of(quote: Quote) -> QuoteOffer:
    return QuoteOffer(
        demand_id=quote.demand_id,
        listing_id=quote.listing_id,
        asset_id=quote.asset_id,
        supplier=quote.signer,
        price_minor=quote.price_minor,
        currency=quote.currency,
        terms_hash=quote.terms_hash,
        valid_until=int(quote.valid_until.timestamp()),
        nonce=quote.nonce,
        deadline=quote.deadline,
    )


def sees_buyer(principal: Principal, quote: Quote) -> bool:
    """The demand's owner, and the supplier once its quote became an order."""
    org = principal.organization.id
    return org == quote.buyer_organization_id or quote.order_id is not None


def quote_public(quote: Quote, principal: Principal) -> QuotePublic:
    """The quote as ``principal`` (its supplier or the demand's owner) may see it."""
    assert quote.id is not None
    terms = Terms.model_validate(quote.terms)
    return QuotePublic(
        id=quote.id,
        demand_id=quote.demand_id,
        listing_id=quote.listing_id,
        asset_id=quote.asset_id,
        supplier_organization_id=quote.supplier_organization_id,
        buyer_organization_id=quote.buyer_organization_id if sees_buyer(principal, quote) else None,
        status=quote.status,
        price_minor=quote.price_minor,
        currency=quote.currency,
        terms=terms,
        terms_plain=plain_words(terms),
        valid_until=quote.valid_until,
        order_id=quote.order_id,
        decided_at=quote.decided_at,
        signer=quote.signer,
        signature=quote.signature,
        terms_hash=quote.terms_hash,
        nonce=quote.nonce,
        deadline=quote.deadline,
        offer=offer_of(quote).document(),
        offer_seq=quote.offer_seq,
        decision_seq=quote.decision_seq,
        created_at=quote.created_at,
    )
