"""Dispute HTTP endpoints for the case itself: open a dispute on an order (its buyer or
supplier), the ruling (the drawn arbitrator), the appeal (either party), the panel's votes, and
reading one's disputes (docs/disputes.md, docs/api.md). Evidence and the dossier have their
own modules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets.service import signing_context
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.disputes.schemas import (
    DisputeOpen,
    DisputePage,
    DisputeView,
    RulingBody,
    RulingDraft,
)
from marketplace.disputes.service import opening, redraw, rulings, views
from marketplace.idempotency import idempotent
from marketplace.identity.auth import CurrentAccount, Operator
from marketplace.paging import ID_DIGITS

router = APIRouter(tags=["disputes"])

OrderId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="order id")]
DisputeId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="dispute id")]
Limit = Annotated[int, Query(ge=1, le=limits.page_size_max, description="page size")]


@router.post(
    "/orders/{order_id}/disputes",
    status_code=201,
    summary="Open a dispute on an order, or one period of it (its buyer or supplier)",
)
@idempotent
def open_dispute(
    order_id: OrderId,
    body: DisputeOpen,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> DisputeView:
    """Freezes the order's escrow hold, or with ``period`` (a subscription or metered order) that
    period's (a settled order or period within the dispute window: claws the supplier's
    proceeds back into a hold), holds the opener's arbitration fee, writes
    ``dispute.opened`` and draws the arbitrator (``arbitrator.drawn``). 404 to anyone but the
    order's parties; 409 ``dispute_exists``, ``dispute_window_closed`` (naming the deadline),
    ``proceeds_withdrawn``, ``insufficient_funds``, ``no_arbitrator``, ``order_state``,
    ``dispute_state`` (a periodic order with no ``period``); 404 ``period_not_found``."""
    return opening.open_dispute(
        session, runtime.settings, principal, order_id, reason=body.reason,
        statement=body.statement, now=utc_now(), period=body.period,
    )  # fmt: skip


@router.get(
    "/disputes", summary="Your disputes: as a party, as a drawn arbitrator (operators: all)"
)
def list_disputes(
    principal: CurrentAccount, session: SessionDep, limit: Limit = limits.page_size_default
) -> DisputePage:
    return views.my_disputes(session, principal, limit=limit)


@router.get("/disputes/{dispute_id}", summary="One dispute (its parties, arbitrators, operators)")
def get_dispute(
    dispute_id: DisputeId, principal: CurrentAccount, session: SessionDep
) -> DisputeView:
    """404 to anyone else, a non-assigned arbitrator included."""
    return views.get_dispute(session, principal, dispute_id)


@router.post(
    "/disputes/{dispute_id}/redraw",
    summary="Re-draw the arbitrators of a suspended organisation still to rule (operators)",
)
def redraw_dispute(
    dispute_id: DisputeId, operator: Operator, session: SessionDep, runtime: RuntimeDep
) -> DisputeView:
    """For a dispute that kept a suspended arbitrator because no other was eligible when its
    organisation was suspended: each arbitrator of the round under way whose organisation is
    suspended and who has not ruled or voted is replaced (``arbitrator.drawn``, naming whom it
    ``replaces``). 409 ``nothing_to_redraw``, ``no_arbitrator``; 404 ``dispute_not_found``."""
    return redraw.redraw(session, runtime.settings, operator, dispute_id, now=utc_now())


@router.post("/disputes/{dispute_id}/ruling", summary="Rule on a dispute (its drawn arbitrator)")
def rule(
    dispute_id: DisputeId,
    body: RulingBody,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> DisputeView:
    """``release``, ``refund`` or ``split`` (``supplier_bp`` 0 to 10,000) with written reasons,
    signed (EIP-712 ``Ruling``), journaled ``ruling.issued``; after submissions close (409
    ``evidence_open`` before, naming the time). The appeal window opens."""
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    return rulings.rule(
        session, runtime.settings, principal, dispute_id, body, ctx=ctx, now=utc_now()
    )


@router.post(
    "/disputes/{dispute_id}/ruling/draft",
    summary="The ruling or vote to sign with your own key (writes nothing)",
)
def ruling_draft(
    dispute_id: DisputeId,
    body: RulingBody,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> RulingDraft:
    """The EIP-712 ``Ruling`` of the dispute's current round, for a self-custody arbitrator to
    sign and send to ``/ruling`` or ``/votes`` with its nonce and deadline."""
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    return rulings.draft(session, principal, dispute_id, body, ctx=ctx, now=utc_now())


@router.post("/disputes/{dispute_id}/appeal", summary="Appeal the ruling, once (either party)")
@idempotent
def appeal(
    dispute_id: DisputeId, principal: CurrentAccount, session: SessionDep, runtime: RuntimeDep
) -> DisputeView:
    """Holds the appeal fee, writes ``dispute.appealed`` and draws a panel of three new
    arbitrators. 409 ``appeal_window_closed`` (naming the deadline), ``dispute_state``."""
    return rulings.appeal(session, runtime.settings, principal, dispute_id, now=utc_now())


@router.post("/disputes/{dispute_id}/votes", summary="Vote on an appeal (a panel member, once)")
def vote(
    dispute_id: DisputeId,
    body: RulingBody,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> DisputeView:
    """The same body as a ruling, signed; ``ruling.voted``. Two identical votes decide (three
    all different: the median), ``ruling.final``."""
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    return rulings.vote(
        session, runtime.settings, principal, dispute_id, body, ctx=ctx, now=utc_now()
    )
