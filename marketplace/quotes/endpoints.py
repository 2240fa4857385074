"""Quote HTTP endpoints: a supplier sends a quote in answer to a demand (or asks for the offer to
sign first), the demand's owner and the supplier read it, the owner accepts or rejects it, the
supplier withdraws it. Only those two organisations see a quote; to anyone else it is a 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets.service import signing_context
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.identity.auth import CurrentAccount, VerifiedSupplier
from marketplace.orders.schemas import OrderDraft, OrderSignature
from marketplace.paging import ID_DIGITS
from marketplace.quotes import service
from marketplace.quotes.schemas import QuoteCreate, QuoteDraft, QuoteFields, QuotePage, QuotePublic

router = APIRouter(tags=["quotes"])
DemandId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="demand id")]
QuoteId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="quote id")]


@router.post(
    "/demands/{demand_id}/quotes",
    status_code=201,
    summary="Send a quote: a price and terms for one of your listings (verified suppliers)",
)
def send_quote(
    demand_id: DemandId,
    body: QuoteCreate,
    principal: VerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
) -> QuotePublic:
    """Journals ``quote.offered`` with the signed offer; the demand's owner is notified."""
    settings = runtime.settings
    ctx = signing_context(settings, runtime.chain_id, runtime.contract_address)
    return service.send(session, settings, principal, demand_id, body, ctx=ctx, now=utc_now())


@router.post(
    "/demands/{demand_id}/quotes/draft",
    summary="The offer to sign with your own key before sending a quote (writes nothing)",
)
def draft_quote(
    demand_id: DemandId,
    body: QuoteFields,
    principal: VerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
) -> QuoteDraft:
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    return service.draft(session, principal, demand_id, body, ctx=ctx, now=utc_now())


@router.get(
    "/demands/{demand_id}/quotes",
    summary="A demand's quotes, newest first: all for its owner, your own for a supplier",
)
def list_quotes(
    demand_id: DemandId,
    principal: CurrentAccount,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=limits.page_size_max)] = limits.page_size_default,
    offset: Annotated[int, Query(ge=0, le=limits.id_max)] = 0,
) -> QuotePage:
    return service.for_demand(
        session, principal, demand_id, offset=offset, limit=limit, now=utc_now()
    )


@router.get("/quotes/{quote_id}", summary="One quote (its supplier and the demand's owner)")
def get_quote(quote_id: QuoteId, principal: CurrentAccount, session: SessionDep) -> QuotePublic:
    return service.get(session, principal, quote_id, now=utc_now())


@router.post(
    "/quotes/{quote_id}/accept",
    summary="Accept a quote (the demand's owner): places the order, fulfils the demand",
)
def accept_quote(
    quote_id: QuoteId,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    body: OrderSignature | None = None,
) -> QuotePublic:
    """The demand's other offered quotes are rejected; the order is ``order_id``, at the
    quote's price under the quote's terms. A custodial buyer sends no body; a self-custody
    buyer signs the order from ``POST /quotes/{id}/accept/draft`` and sends ``signature``,
    ``nonce`` and ``deadline``."""
    settings = runtime.settings
    ctx = signing_context(settings, runtime.chain_id, runtime.contract_address)
    return service.accept(
        session, settings, principal, quote_id, signed=body, ctx=ctx, now=utc_now()
    )


@router.post(
    "/quotes/{quote_id}/accept/draft",
    summary="The order to sign with your own key to accept a quote (writes nothing)",
)
def accept_quote_draft(
    quote_id: QuoteId, principal: CurrentAccount, session: SessionDep, runtime: RuntimeDep
) -> OrderDraft:
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    return service.accept_draft(session, principal, quote_id, ctx=ctx, now=utc_now())


@router.post("/quotes/{quote_id}/reject", summary="Turn a quote down (the demand's owner)")
def reject_quote(quote_id: QuoteId, principal: CurrentAccount, session: SessionDep) -> QuotePublic:
    return service.reject(session, principal, quote_id, now=utc_now())


@router.post("/quotes/{quote_id}/withdraw", summary="Take your quote back (its supplier)")
def withdraw_quote(
    quote_id: QuoteId, principal: CurrentAccount, session: SessionDep
) -> QuotePublic:
    return service.withdraw(session, principal, quote_id, now=utc_now())
