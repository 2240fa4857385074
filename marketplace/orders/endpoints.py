"""Order HTTP endpoints: place (custodial buyers in one call; self-custody buyers sign the draft
first), read (the buyer's and the supplier's organisations only), list one's own, cancel; and a
public-data listing's revenue against its ceiling. A listing under auction is not bought
outright: the endpoints ask ``auctions.service`` first (orders' service cannot, since auctions
import it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets.service import signing_context
from marketplace.auctions import service as auctions
from marketplace.deps import RuntimeDep, SessionDep, SettingsDep
from marketplace.idempotency import idempotent
from marketplace.identity.auth import CurrentAccount, Operator, VerifiedBuyer
from marketplace.orders import service
from marketplace.orders.schemas import (
    OrderCreate,
    OrderDecision,
    OrderDraft,
    OrderPage,
    OrderPublic,
    PeriodPublic,
    PublicDataRevenue,
    QualityCheckBody,
    QualityCheckDraft,
    QualityCheckView,
    RenewalChoice,
    UsageReport,
)
from marketplace.paging import ID_DIGITS, PageLimit, PageOffset
from marketplace.runtime import Runtime

router = APIRouter(tags=["orders"])


def _scaled(order: OrderPublic, runtime: Runtime) -> OrderPublic:
    """The order with the exchange's currency scale, so clients can show amounts in words."""
    return order.model_copy(update={"currency_scale": runtime.settings.currency_scale})


OrderId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="order id")]
ListingId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="listing id")]
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
    placed = service.place(
        session, runtime.settings, principal, listing_id=body.listing_id, purpose=body.purpose,
        quantity=body.quantity, signature=body.signature, nonce=body.nonce,
        deadline=body.deadline, ctx=ctx, now=now,
    )  # fmt: skip
    return _scaled(placed, runtime)


@router.post(
    "/orders/purchase",
    status_code=201,
    summary="Place an order for a listing and pay it, in one transaction (verified buyers)",
)
@idempotent
def purchase(
    body: OrderCreate, principal: VerifiedBuyer, session: SessionDep, runtime: RuntimeDep
) -> OrderPublic:
    """``POST /orders`` and ``POST /orders/{id}/pay`` at once: the price is held in escrow
    (``escrow.held``) and the order is ``paid`` (``order.paid``). Any refusal, 409
    ``insufficient_funds`` among them, leaves no order and nothing held."""
    now = utc_now()
    auctions.refuse_if_under_way(session, body.listing_id, now)
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    paid = service.place_and_pay(
        session, runtime.settings, principal, listing_id=body.listing_id, purpose=body.purpose,
        quantity=body.quantity, signature=body.signature, nonce=body.nonce,
        deadline=body.deadline, ctx=ctx, now=now,
    )  # fmt: skip
    return _scaled(paid, runtime)


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
    settings: SettingsDep,
    limit: Limit = limits.page_size_default,
    before_id: Annotated[int | None, Query(ge=1, le=limits.id_max)] = None,
) -> OrderPage:
    """Follow ``next_before_id`` as ``before_id`` for the next page."""
    return service.my_orders(session, settings, principal, before_id=before_id, limit=limit)


@router.get(
    "/orders/awaiting-approval",
    summary="Paid orders of important data that wait for an operator's decision (operators)",
)
def orders_awaiting_approval(
    principal: Operator,
    session: SessionDep,
    settings: SettingsDep,
    limit: Limit = limits.page_size_default,
    before_id: Annotated[int | None, Query(ge=1, le=limits.id_max)] = None,
) -> OrderPage:
    """Newest first; decide each with ``POST /orders/{id}/approve`` or ``/refuse``. Follow
    ``next_before_id`` as ``before_id`` for the next page."""
    return service.awaiting_approval(session, settings, before_id=before_id, limit=limit)


@router.get("/orders/{order_id}", summary="One order (its buyer's and supplier's organisations)")
def get_order(
    order_id: OrderId, principal: CurrentAccount, session: SessionDep, runtime: RuntimeDep
) -> OrderPublic:
    return _scaled(service.get_order(session, runtime.settings, principal, order_id), runtime)


@router.post("/orders/{order_id}/cancel", summary="Cancel a placed order (its buyer)")
def cancel_order(
    order_id: OrderId, principal: CurrentAccount, session: SessionDep, settings: SettingsDep
) -> OrderPublic:
    return service.cancel(session, settings, principal, order_id, now=utc_now())


@router.post("/orders/{order_id}/pay", summary="Pay a placed order into escrow (its buyer)")
@idempotent
def pay_order(
    order_id: OrderId, principal: CurrentAccount, session: SessionDep, runtime: RuntimeDep
) -> OrderPublic:
    """The price moves from the buyer's available money to escrow (``escrow.held``) and the
    order is ``paid`` (``order.paid``); 409 ``insufficient_funds`` holds nothing."""
    paid = service.pay(session, runtime.settings, principal, order_id, now=utc_now())
    return _scaled(paid, runtime)


@router.post(
    "/orders/{order_id}/accept",
    summary="Accept a delivered order; one paid at once settles at once (its buyer)",
)
@idempotent
def accept_order(
    order_id: OrderId, principal: CurrentAccount, session: SessionDep, runtime: RuntimeDep
) -> OrderPublic:
    """``order.accepted`` then ``order.settled``: the hold is released to the supplier minus
    the exchange fee (``settlement.released``), in one transaction. A subscription or metered
    order is only ``accepted``: its periods are released one by one as each ends, and it is
    ``settled`` after the last."""
    settled = service.accept(session, runtime.settings, principal, order_id, now=utc_now())
    return _scaled(settled, runtime)


@router.post(
    "/orders/{order_id}/quality-checks/draft",
    summary="The QualityCheck to sign with your own key (its buyer; writes nothing)",
)
def quality_check_draft(
    order_id: OrderId,
    body: QualityCheckDraft,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    return service.quality_check_draft(session, principal, order_id, body.comparison, ctx=ctx)


@router.post(
    "/orders/{order_id}/quality-checks",
    status_code=201,
    summary="Attach your signed re-check of the file received (its buyer)",
)
def post_quality_check(
    order_id: OrderId,
    body: QualityCheckBody,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> QualityCheckView:
    """The comparison of the file received with the anchored quality report of the revision
    bought (``bourse quality check FILE --asset ID --order ORDER``), signed by the buyer (EIP-712
    ``QualityCheck``: the exchange signs for custodial accounts), stored with the order and
    journaled as ``order.quality_checked`` with its hashes, not its contents. 409 before the
    file was delivered or for the same check twice; 422 for a report not the one of the
    revision bought or a signature that does not cover the check. ``accept`` cites the latest."""
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    return service.add_quality_check(
        session, runtime.settings, principal, order_id, body, ctx=ctx, now=utc_now()
    )


@router.post(
    "/orders/{order_id}/approve",
    summary="Approve an important asset's paid order for delivery (operators)",
)
def approve_order(
    order_id: OrderId,
    body: OrderDecision,
    principal: Operator,
    session: SessionDep,
    settings: SettingsDep,
) -> OrderPublic:
    return service.approve(
        session, settings, principal, order_id, reason=body.reason, now=utc_now()
    )


@router.post(
    "/orders/{order_id}/refuse",
    summary="Refuse an important asset's paid order; the buyer is refunded in full (operators)",
)
@idempotent
def refuse_order(
    order_id: OrderId,
    body: OrderDecision,
    principal: Operator,
    session: SessionDep,
    settings: SettingsDep,
) -> OrderPublic:
    return service.refuse(session, settings, principal, order_id, reason=body.reason, now=utc_now())


@router.get(
    "/listings/{listing_id}/revenue",
    summary="A public-data listing's revenue against its ceiling (its supplier and operators)",
)
def listing_revenue(
    listing_id: ListingId, principal: CurrentAccount, session: SessionDep
) -> PublicDataRevenue:
    return service.public_data_revenue(session, principal, listing_id)


@router.get(
    "/orders/{order_id}/periods",
    summary="The periods of a subscription or metered order (its buyer and supplier)",
)
def order_periods(
    order_id: OrderId,
    principal: CurrentAccount,
    session: SessionDep,
    settings: SettingsDep,
    *,
    limit: PageLimit = limits.page_size_max,
    offset: PageOffset = 0,
) -> list[PeriodPublic]:
    """Each period with its status (due, held, settled, refused, waived), what it charges and
    the journal entries of its charge and its close; empty for a one-off order. Oldest first, a
    page at a time."""
    return service.order_periods(session, settings, principal, order_id, limit=limit, offset=offset)


@router.post(
    "/orders/{order_id}/usage",
    summary="Report rows or API calls served under a metered order (its supplier)",
)
@idempotent
def report_usage(
    order_id: OrderId, body: UsageReport, principal: CurrentAccount, session: SessionDep
) -> PeriodPublic:
    """Counted into the period open now (``usage.recorded``); charged at the period's end, at
    most the listing's cap per period."""
    return service.report_usage(
        session, principal, order_id=order_id, units=body.units, now=utc_now()
    )


@router.post(
    "/orders/{order_id}/renewal",
    summary="Opt in to (or out of) renewing a subscription automatically (its buyer)",
)
def set_renewal(
    order_id: OrderId,
    body: RenewalChoice,
    principal: CurrentAccount,
    session: SessionDep,
    settings: SettingsDep,
) -> list[PeriodPublic]:
    """``subscription.renewal_set``; 409 ``order_state`` if the listing does not renew."""
    return service.set_auto_renew(
        session, settings, principal, order_id=order_id, auto_renew=body.auto_renew
    )
