"""Order HTTP endpoints: place (custodial buyers in one call; self-custody buyers sign the draft
first), read (the buyer's and the supplier's organisations only), list one's own, cancel; and a
public-data listing's revenue against its ceiling. A listing under auction is not bought
outright: the endpoints ask ``auctions.service`` first (orders' service cannot, since auctions
import it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets.service import signing_context
from marketplace.auctions import service as auctions
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.idempotency import idempotent
from marketplace.identity.auth import CurrentAccount, VerifiedBuyer
from marketplace.orders import service
from marketplace.orders.schemas import (
    OrderCreate,
    OrderDraft,
    OrderPage,
    OrderPublic,
    PublicDataRevenue,
)

router = APIRouter(tags=["orders"])
OrderId = Annotated[int, Path(ge=1, le=limits.id_max, description="order id")]
ListingId = Annotated[int, Path(ge=1, le=limits.id_max, description="listing id")]
Limit = Annotated[int, Query(ge=1, le=limits.page_size_max, description="page size")]


@router.post("/orders", status_code=201, summary="Place an order for a listing (verified buyers)")
@idempotent
def place_order(
    body: OrderCreate, principal: VerifiedBuyer, session: SessionDep, runtime: RuntimeDep
) -> OrderPublic:
    """Refused with the reason when the listing's terms do not permit the purpose, the listing
    is not for sale, is the buyer's own, is negotiable (quote only) or is exclusive and held by
    another order, or is being auctioned (409 ``auction_under_way``). Writes ``order.placed``
    with the buyer's EIP-712 signature. Takes an ``Idempotency-Key`` (docs/api.md#idempotency)."""
    now = utc_now()
    auctions.refuse_if_under_way(session, body.listing_id, now)
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    return service.place(
        session, runtime.settings, principal, listing_id=body.listing_id, purpose=body.purpose,
        quantity=body.quantity, signature=body.signature, nonce=body.nonce,
        deadline=body.deadline, ctx=ctx, now=now,
    )  # fmt: skip


@router.post("/orders/draft", summary="The order to sign with your own key (writes nothing)")
def order_draft(
    body: OrderCreate, principal: VerifiedBuyer, session: SessionDep, runtime: RuntimeDep
) -> OrderDraft:
    now = utc_now()
    auctions.refuse_if_under_way(session, body.listing_id, now)
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    return service.draft(
        session, principal, listing_id=body.listing_id, purpose=body.purpose,
        quantity=body.quantity, ctx=ctx, now=now,
    )  # fmt: skip


@router.get("/orders", summary="Your organisation's orders, as buyer or supplier, newest first")
def list_orders(
    principal: CurrentAccount,
    session: SessionDep,
    limit: Limit = limits.page_size_default,
    before_id: Annotated[int | None, Query(ge=1, le=limits.id_max)] = None,
) -> OrderPage:
    """Follow ``next_before_id`` as ``before_id`` for the next page."""
    return service.my_orders(session, principal, before_id=before_id, limit=limit)


@router.get("/orders/{order_id}", summary="One order (its buyer's and supplier's organisations)")
def get_order(order_id: OrderId, principal: CurrentAccount, session: SessionDep) -> OrderPublic:
    return service.get_order(session, principal, order_id)


@router.post("/orders/{order_id}/cancel", summary="Cancel a placed order (its buyer)")
def cancel_order(order_id: OrderId, principal: CurrentAccount, session: SessionDep) -> OrderPublic:
    return service.cancel(session, principal, order_id, now=utc_now())


@router.get(
    "/listings/{listing_id}/revenue",
    summary="A public-data listing's revenue against its ceiling (its supplier and operators)",
)
def listing_revenue(
    listing_id: ListingId, principal: CurrentAccount, session: SessionDep
) -> PublicDataRevenue:
    return service.public_data_revenue(session, principal, listing_id)
