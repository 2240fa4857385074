"""Placing an order, step by step (all in the caller's transaction; nothing is committed here):

1. the buyer: its organisation holds the buyer role and is verified (403 otherwise);
2. the listing: ``listings.service.held_for_sale`` refuses a listing that is not active, an
   asset suspended or delisted, a supplier suspended, and a purpose the terms do not permit,
   naming the reason (and a buyer suspended since its token was checked: 403
   ``organization_suspended``); it share-locks the buyer's and the supplier's organisations,
   the listing and its asset for the transaction, before the journal head, so a pause,
   withdrawal, delisting or either party's suspension is ordered before or after the order,
   never beside it;
3. not the buyer's own listing (403 ``own_listing``);
4. the price: from the listing's price model for the quantity (a negotiable listing is sold
   only through a quote: 409), or the accepted quote's or the auction's price as given; the
   terms: the listing's, or narrower ones the caller has checked (an accepted quote's), which
   must still permit the purpose (422); their hash is what the buyer signs;
5. what the order claims is free: an exclusive listing held by a live order, or a quote or
   auction result already ordered, is a 409 (checked first for a clear answer, and enforced by
   unique indexes when orders race);
6. the buyer's EIP-712 signature over the order (custodial: made here; self-custody: checked
   here), its nonce consumed once;
7. the row, and the ``order.placed`` entry: the signed order's EIP-712 digest and the signature,
   never the price or the parties (docs/decisions.md, "What the public journal shows of a
   trade"); the parties read the signed order from ``GET /orders/{id}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from ledger import journal
from ledger.models import utc_now
from marketplace import limits
from marketplace.assets.service import SigningContext
from marketplace.identity import service as identity
from marketplace.identity import signing
from marketplace.identity.errors import SignatureRejected
from marketplace.listings import service as listings
from marketplace.listings.errors import PurposeNotPermitted
from marketplace.listings.price_models import Subscription
from marketplace.listings.pricing import InvalidQuantity, price_for
from marketplace.listings.schemas import ListingPublic
from marketplace.listings.terms import Purpose, Terms, refusal, terms_hash
from marketplace.orders import lifecycle, repository
from marketplace.orders.document import OrderToSign, Source
from marketplace.orders.errors import (
    ExclusiveTaken,
    InvalidOrder,
    OrderStateConflict,
    OwnListing,
    PurposeRefused,
)
from marketplace.orders.models import Order
from marketplace.orders.schemas import OrderDraft, OrderPublic
from marketplace.orders.service.periods import periods_within_licence
from marketplace.orders.service.views import order_public
from marketplace.principal import OrgRole, Principal, check_verified
from marketplace.settings import Settings


@dataclass(frozen=True)
class _Priced:
    """What the buyer is about to sign: the listing as it stands, and the order's terms (the
    listing's unless narrower ones were given)."""

    listing: ListingPublic
    source: Source
    source_id: int | None
    purpose: str
    quantity: int
    price_minor: int
    terms: Terms | None = None

    @property
    def terms_hash(self) -> str:
        return (
            self.listing.terms_hash
            if self.terms is None
            else terms_hash(self.terms.model_dump(mode="json"))
        )

    def to_sign(self, buyer: str, nonce: int, deadline: int) -> OrderToSign:
        return OrderToSign(
            listing_id=self.listing.id,
            asset_id=self.listing.asset_id,
            buyer=buyer,
            purpose=self.purpose,
            quantity=self.quantity,
            price_minor=self.price_minor,
            currency=self.listing.currency,
            source=self.source,
            source_id=self.source_id or 0,
            terms_hash=self.terms_hash,
            nonce=nonce,
            deadline=deadline,
        )


def _check_source(source: Source, source_id: int | None, price_minor: int | None) -> None:
    """A purchase from the listing takes the listing's price; a quote or an auction result
    names itself and brings its price."""
    if source == "listing":
        if source_id is not None or price_minor is not None:
            raise InvalidOrder("an order from a listing takes the listing's price, nothing else")
        return
    if source_id is None or price_minor is None:
        raise InvalidOrder(f"an order from a {source} names the {source} and its price")
    if not 1 <= source_id <= limits.id_max:
        raise InvalidOrder(f"a {source} id lies between 1 and {limits.id_max}")
    if not 1 <= price_minor <= limits.amount_minor_max:
        raise InvalidOrder(f"a price lies between 1 and {limits.amount_minor_max} minor units")


def _priced(
    session: Session,
    principal: Principal,
    *,
    listing_id: int,
    purpose: str,
    quantity: int | None,
    source: Source,
    source_id: int | None,
    price_minor: int | None,
    terms: Terms | None,
) -> _Priced:
    """Steps 1 to 4: who buys, what, for which purpose, at what price, under which terms."""
    check_verified(principal, OrgRole.buyer)
    _check_source(source, source_id, price_minor)
    try:
        listing = listings.held_for_sale(
            session, listing_id, purpose, buyer_organization_id=principal.account.organization_id
        )
    except PurposeNotPermitted as exc:  # the body's purpose, refused for this listing: a 422
        raise PurposeRefused(exc.message) from exc
    if listing.supplier_organization_id == principal.organization.id:
        raise OwnListing(f"listing {listing_id} is your organisation's own: it cannot buy it")
    if terms is not None and (reason := refusal(terms, purpose)) is not None:
        raise PurposeRefused(f"the {source}'s terms: {reason}")
    count = 1 if quantity is None else quantity
    price = price_for(listing.price_model, quantity) if price_minor is None else price_minor
    _check_within_licence(listing, source, count)
    return _Priced(listing, source, source_id, Purpose(purpose).value, count, price, terms)


def _check_within_licence(listing: ListingPublic, source: Source, count: int) -> None:
    """A subscription bought from its listing buys no period that would start once its licence
    has ended (the terms' ``licence_duration_days``): 422 ``invalid_quantity``, naming how many
    it may buy. Its periods are charged from payment, a little later; the job charges none past
    the licence whatever happens (``periods._next``)."""
    model = listing.price_model
    if source != "listing" or not isinstance(model, Subscription):
        return
    days = listing.terms.licence_duration_days
    most = periods_within_licence(model.period, days, utc_now())
    if count > most:
        raise InvalidQuantity(
            f"the licence lasts {days} days: {most} {model.period}ly periods start within it, "
            f"so buy at most {most} (not {count})"
        )


def _claim_free(session: Session, priced: _Priced) -> None:
    """Step 5, as a clear answer before anything is signed."""
    if priced.listing.exclusive and repository.exclusive_holder(session, priced.listing.id):
        raise ExclusiveTaken(_exclusive_taken(priced.listing.id))
    if priced.source_id is not None and repository.by_source(
        session, priced.source, priced.source_id
    ):
        raise OrderStateConflict(_already_ordered(priced))


def _exclusive_taken(listing_id: int) -> str:
    return (
        f"listing {listing_id} is exclusive and a placed order already holds it; it is for sale "
        "again only if that order is cancelled"
    )


def _already_ordered(priced: _Priced) -> str:
    return f"{priced.source} {priced.source_id} has already become an order"


def draft(
    session: Session,
    principal: Principal,
    *,
    listing_id: int,
    purpose: str,
    quantity: int | None,
    source: Source = "listing",
    source_id: int | None = None,
    price_minor: int | None = None,
    terms: Terms | None = None,
    ctx: SigningContext,
    now: datetime,
) -> OrderDraft:
    """The order a self-custody buyer signs, with a fresh nonce; writes nothing. ``source``,
    ``source_id``, ``price_minor`` and ``terms`` as for ``place`` (a quote's or an auction's
    order is drafted by the quote's or the auction's own draft endpoint)."""
    priced = _priced(
        session, principal, listing_id=listing_id, purpose=purpose, quantity=quantity,
        source=source, source_id=source_id, price_minor=price_minor, terms=terms,
    )  # fmt: skip
    _claim_free(session, priced)
    nonce, deadline = signing.new_nonce(), int(now.timestamp()) + limits.signing_offer_ttl_s
    document = priced.to_sign(principal.address, nonce, deadline)
    return OrderDraft(
        listing_id=listing_id,
        purpose=purpose,
        quantity=priced.quantity,
        price_minor=priced.price_minor,
        currency=priced.listing.currency,
        source=source,
        source_id=source_id,
        terms_hash=priced.terms_hash,
        nonce=str(nonce),
        deadline=deadline,
        typed_data=signing.wallet_json(document.typed_data(ctx.domain)),
    )


def _buyer_signature(
    session: Session,
    settings: Settings,
    principal: Principal,
    priced: _Priced,
    *,
    signature: str | None,
    nonce: int | None,
    deadline: int | None,
    ctx: SigningContext,
    now_s: int,
) -> tuple[OrderToSign, str, str]:
    """Step 6: the order, the buyer's signature over it and its EIP-712 digest (0x-hex, made
    once here for the signature and the journal entry); the signature is checked when the buyer
    signed, made with the custodial key otherwise; the nonce is consumed once either way."""
    if signature is not None and (nonce is None or deadline is None):
        raise InvalidOrder("send signature, nonce and deadline together")
    nonce, deadline = identity.nonce_and_deadline(signature, nonce, deadline, now_s)
    document = priced.to_sign(principal.address, nonce, deadline)
    digest = signing.digest_bytes(document.typed_data(ctx.domain))
    if signature is None:
        signature = identity.sign_digest_as(session, settings, principal.account, digest)
    else:
        try:
            signing.verify_digest(digest, signature, principal.address)
        except signing.SignatureError as exc:
            raise SignatureRejected(
                f"the signature does not cover this order: {exc}; get the order to sign from "
                "its draft (POST /orders/draft, /quotes/{id}/accept/draft or "
                "/auctions/{id}/order/draft) and sign that"
            ) from exc
    identity.consume_signature_nonce(session, principal.address, nonce, deadline, now_s)
    return document, signature, "0x" + digest.hex()


def place(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    listing_id: int,
    purpose: str,
    quantity: int | None = None,
    source: Source = "listing",
    source_id: int | None = None,
    price_minor: int | None = None,
    terms: Terms | None = None,
    signature: str | None = None,
    nonce: int | None = None,
    deadline: int | None = None,
    ctx: SigningContext,
    now: datetime | None = None,
) -> OrderPublic:
    """Place an order (steps in the module's docstring): state ``placed``, journal
    ``order.placed`` with the signed order's digest. ``source`` "quote" or "auction" with
    ``source_id`` and ``price_minor`` is how an accepted quote or an auction's winner becomes an
    order; the price is then theirs, and each becomes at most one order. ``terms``: the order's
    terms when they are narrower than the listing's (an accepted quote's); the caller has
    checked they are no wider (``quotes.narrowing``). The order signs their hash.
    ``ctx`` is the EIP-712 domain the buyer signs under (``assets.service.signing_context``)."""
    order, _ = placed_order(
        session, settings, principal, listing_id=listing_id, purpose=purpose, quantity=quantity,
        source=source, source_id=source_id, price_minor=price_minor, terms=terms,
        signature=signature, nonce=nonce, deadline=deadline, ctx=ctx, now=now,
    )  # fmt: skip
    return order_public(settings, order)


def placed_order(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    listing_id: int,
    purpose: str,
    quantity: int | None = None,
    source: Source = "listing",
    source_id: int | None = None,
    price_minor: int | None = None,
    terms: Terms | None = None,
    signature: str | None = None,
    nonce: int | None = None,
    deadline: int | None = None,
    ctx: SigningContext,
    now: datetime | None = None,
) -> tuple[Order, ListingPublic]:
    """``place``, returning the row itself (inserted in this transaction, so this transaction
    holds it: ``place_and_pay`` pays it without reading it back) and the listing as it was
    priced from (which paying reads no more)."""
    now = now or utc_now()
    priced = _priced(
        session, principal, listing_id=listing_id, purpose=purpose, quantity=quantity,
        source=source, source_id=source_id, price_minor=price_minor, terms=terms,
    )  # fmt: skip
    _claim_free(session, priced)
    document, signature, order_digest = _buyer_signature(
        session, settings, principal, priced, signature=signature, nonce=nonce,
        deadline=deadline, ctx=ctx, now_s=int(now.timestamp()),
    )  # fmt: skip
    placed_seq = journal.next_seq(session)  # the row is written with its entry's seq
    order = _insert(
        session, principal, priced, document=document, signature=signature, ctx=ctx, now=now,
        placed_seq=placed_seq,
    )  # fmt: skip
    assert order.id is not None
    entry = journal.append(
        session,
        kind=lifecycle.PLACED_KIND,
        subject=f"order:{order.id}",
        actor=principal.address,
        payload={
            "order_id": order.id,
            "listing_id": order.listing_id,
            "source": document.source,
            "source_id": document.source_id,
            "order_digest": order_digest,
        },
        signature=signature,
    )
    assert entry.seq == placed_seq
    repository.keep_written_entry(session, entry)  # paying reads it (the signed terms)
    return order, priced.listing


def _insert(
    session: Session,
    principal: Principal,
    priced: _Priced,
    *,
    document: OrderToSign,
    signature: str,
    ctx: SigningContext,
    now: datetime,
    placed_seq: int,
) -> Order:
    """Step 7's row. Its unique indexes settle a race that step 5's check could not see."""
    buyer_org = principal.organization.id
    assert buyer_org is not None
    listing = priced.listing
    holds = listing.exclusive  # a placed order holds its exclusive listing (HOLDS_EXCLUSIVE)
    order = repository.add_unique(
        session,
        {
            "listing_id": listing.id,
            "asset_id": listing.asset_id,
            "buyer_organization_id": buyer_org,
            "supplier_organization_id": listing.supplier_organization_id,
            "placed_by": principal.account_id,
            "purpose": priced.purpose,
            "quantity": priced.quantity,
            "price_minor": priced.price_minor,
            "currency": listing.currency,
            "source": priced.source,
            "source_id": priced.source_id,
            "terms_hash": document.terms_hash,
            "status": lifecycle.INITIAL.value,
            "buyer_signer": principal.address,
            "buyer_signature": signature,
            "buyer_nonce": str(document.nonce),
            "buyer_deadline": document.deadline,
            "chain_id": ctx.chain_id,
            "verifying_contract": str(ctx.domain["verifyingContract"]),
            "exclusive_listing_id": listing.id if holds else None,
            "acceptance_window_h": (priced.terms or listing.terms).acceptance_window_h,
            "dispute_window_h": (priced.terms or listing.terms).dispute_window_h,
            "placed_seq": placed_seq,
            "created_at": now,
            "updated_at": now,
        },
    )
    if order is None:
        if holds and repository.exclusive_holder(session, listing.id) is not None:
            raise ExclusiveTaken(_exclusive_taken(listing.id))
        raise OrderStateConflict(_already_ordered(priced))
    return order


def exclusive_holder(session: Session, listing_id: int) -> int | None:
    """The id of the placed order holding exclusive listing ``listing_id``, if one does."""
    order = repository.exclusive_holder(session, listing_id)
    return None if order is None else order.id
