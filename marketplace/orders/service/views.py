"""Orders as the API shows them, and who may see one: the buyer's and the supplier's
organisations. To anyone else an order does not exist (404, worded as for a missing one)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from ledger.models import as_utc
from marketplace import limits
from marketplace.identity import signing
from marketplace.listings import service as listings
from marketplace.listings.schemas import ListingPublic
from marketplace.orders import repository
from marketplace.orders.dispute_window import window_closes_at
from marketplace.orders.document import OrderToSign
from marketplace.orders.errors import OrderNotFound
from marketplace.orders.models import Order
from marketplace.orders.schemas import BuyerSignature, OrderPage, OrderPublic
from marketplace.principal import Principal
from marketplace.settings import Settings


def is_party(principal: Principal, order: Order) -> bool:
    org = principal.organization.id
    return org in (order.buyer_organization_id, order.supplier_organization_id)


def visible_order(session: Session, principal: Principal, order_id: int) -> Order:
    """The order, if the caller's organisation bought or supplies it; 404 otherwise."""
    order = repository.get(session, order_id)
    if order is None or not is_party(principal, order):
        raise OrderNotFound(f"no order {order_id}")
    return order


def to_sign(order: Order) -> OrderToSign:
    """The fields the buyer signed, as the row keeps them."""
    return OrderToSign(
        listing_id=order.listing_id,
        asset_id=order.asset_id,
        buyer=order.buyer_signer,
        purpose=order.purpose,
        quantity=order.quantity,
        price_minor=order.price_minor,
        currency=order.currency,
        source=order.source,
        source_id=order.source_id or 0,
        terms_hash=order.terms_hash,
        nonce=int(order.buyer_nonce),
        deadline=order.buyer_deadline,
    )


def signed_order(order: Order) -> dict[str, Any]:
    """The EIP-712 document the buyer signed. The public ``order.placed`` entry holds its
    digest and the signature, so a party holding this document checks it against the entry."""
    domain = signing.domain(order.chain_id, order.verifying_contract)
    return signing.wallet_json(to_sign(order).typed_data(domain))


def dispute_closes_at(settings: Settings, order: Order) -> datetime | None:
    """Until when a settled one-off order may be disputed (``window_closes_at``, which
    ``open_dispute`` refuses at); None for an order not settled, whose dispute freezes its hold
    instead, and for a subscription's or metered order, whose periods are disputed one by one,
    each with its own deadline. Such an order holds nothing itself (``payment.pay_order``); any
    other paid order holds its price (at least 1 minor unit)."""
    if order.status != "settled" or order.settled_at is None or order.hold_id is None:
        return None
    return window_closes_at(settings, order.dispute_window_h, as_utc(order.settled_at))


def order_public(settings: Settings, order: Order) -> OrderPublic:
    """The order as the API shows it. ``settings`` give the dispute window of an order placed
    before orders kept their own (no query: the row has the rest)."""
    assert order.id is not None
    return OrderPublic(
        id=order.id,
        listing_id=order.listing_id,
        asset_id=order.asset_id,
        buyer_organization_id=order.buyer_organization_id,
        supplier_organization_id=order.supplier_organization_id,
        purpose=order.purpose,
        quantity=order.quantity,
        price_minor=order.price_minor,
        currency=order.currency,
        source=order.source,
        source_id=order.source_id,
        status=order.status,
        terms_hash=order.terms_hash,
        buyer_signature=BuyerSignature(
            signer=order.buyer_signer,
            signature=order.buyer_signature,
            nonce=order.buyer_nonce,
            deadline=order.buyer_deadline,
        ),
        placed_seq=order.placed_seq,
        created_at=order.created_at,
        updated_at=order.updated_at,
        needs_approval=order.needs_approval,
        fee_minor=order.fee_minor,
        hold_id=order.hold_id,
        paid_at=order.paid_at,
        delivered_at=order.delivered_at,
        accept_by=order.accept_by,
        settled_at=order.settled_at,
        dispute_window_h=order.dispute_window_h,
        dispute_closes_at=dispute_closes_at(settings, order),
        signed_order=signed_order(order),
    )


@dataclass(frozen=True)
class OrderView:
    """An order as other domains read it (delivery grants its licence from this): the buyer, the
    listing and the revision bought, the purpose, and the terms the buyer signed (the listing's,
    or an accepted quote's narrower ones), as JSON."""

    id: int
    listing_id: int
    asset_id: int
    revision: int
    buyer_organization_id: int
    supplier_organization_id: int
    purpose: str
    quantity: int
    price_minor: int
    currency: str
    status: str
    terms_hash: str
    terms: dict[str, Any]
    needs_approval: bool
    placed_seq: int  # the order's ``order.placed`` journal entry
    #: The listing as this transaction read it (``listings.public``): a paid hook that needs it
    #: takes it from here rather than reading and converting it again.
    listing: ListingPublic = field(compare=False, repr=False)


def order_view(session: Session, order: Order, listing: ListingPublic | None = None) -> OrderView:
    """``listing``: the order's listing as this transaction already read it, if it did."""
    assert order.id is not None
    if listing is None:
        listing = listings.public(session, order.listing_id)
    assert listing.id == order.listing_id
    entry = repository.journal_entry(session, order.placed_seq)
    signed_terms = None if entry is None else json.loads(entry.payload_json).get("terms")
    terms: dict[str, Any] = signed_terms or listing.terms.model_dump(mode="json")
    return OrderView(
        id=order.id,
        listing_id=order.listing_id,
        asset_id=order.asset_id,
        revision=listing.revision,
        buyer_organization_id=order.buyer_organization_id,
        supplier_organization_id=order.supplier_organization_id,
        purpose=order.purpose,
        quantity=order.quantity,
        price_minor=order.price_minor,
        currency=order.currency,
        status=order.status,
        terms_hash=order.terms_hash,
        terms=terms,
        needs_approval=order.needs_approval,
        placed_seq=order.placed_seq,
        listing=listing,
    )


def get_order_view(session: Session, order_id: int) -> OrderView:
    """The order ``order_id`` for another domain, which decides who may see it (404 when there
    is none)."""
    order = repository.get(session, order_id)
    if order is None:
        raise OrderNotFound(f"no order {order_id}")
    return order_view(session, order)


def get_order(
    session: Session, settings: Settings, principal: Principal, order_id: int
) -> OrderPublic:
    """The order for its parties, with the buyer's quality checks."""
    from marketplace.orders.service.quality_checks import quality_checks_of

    order = visible_order(session, principal, order_id)
    return order_public(settings, order).model_copy(
        update={"quality_checks": quality_checks_of(session, order)}
    )


def my_orders(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    before_id: int | None,
    limit: int,
) -> OrderPage:
    """The orders the caller's organisation placed or supplies, newest first."""
    assert 1 <= limit <= limits.page_size_max
    org = principal.organization.id
    assert org is not None
    rows = repository.page_involving(session, org, before_id=before_id, limit=limit + 1)
    return _page(settings, rows, before_id=before_id, limit=limit)


def awaiting_approval(
    session: Session, settings: Settings, *, before_id: int | None, limit: int
) -> OrderPage:
    """The operators' queue: paid orders of important data that wait for an operator's approval
    or refusal, newest first (the caller is an operator: the route checks)."""
    assert 1 <= limit <= limits.page_size_max
    rows = repository.page_awaiting_approval(session, before_id=before_id, limit=limit + 1)
    return _page(settings, rows, before_id=before_id, limit=limit)


def _page(settings: Settings, rows: list[Order], *, before_id: int | None, limit: int) -> OrderPage:
    """A page of ``rows`` (read one past ``limit``, to know whether more follow)."""
    more = len(rows) > limit
    rows = rows[:limit]
    return OrderPage(
        items=[order_public(settings, o) for o in rows],
        limit=limit,
        before_id=before_id,
        next_before_id=rows[-1].id if more else None,
    )


def order_from(
    session: Session, settings: Settings, source: str, source_id: int
) -> OrderPublic | None:
    """The order a quote or an auction result became, if it became one (for the quotes and
    auctions domains, which show it; they decide who may see it)."""
    found = repository.by_source(session, source, source_id)
    return None if found is None else order_public(settings, found)
