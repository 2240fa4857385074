"""Routes for objections (异议) and suspension (rules in ``assets/service/objections.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets import service
from marketplace.assets.endpoints.params import AssetId, ObjectionId
from marketplace.assets.models import ObjectionStatus
from marketplace.assets.schemas import (
    AssetPublic,
    ObjectionCreate,
    ObjectionDecision,
    ObjectionPage,
    ObjectionPublic,
    ReinstateRequest,
    SuspensionCreate,
)
from marketplace.assets.service import objections
from marketplace.deps import SessionDep
from marketplace.identity.auth import CurrentAccount, Operator, VerifiedOrganization
from marketplace.paging import PageLimit, PageOffset
from marketplace.ratelimit.routes import RateLimitsDep

router = APIRouter()


@router.post(
    "/assets/{asset_id}/objections",
    status_code=201,
    summary="Object (异议) to an asset (verified organisations); the asset stays listed, flagged",
)
def file_objection(
    asset_id: AssetId,
    body: ObjectionCreate,
    principal: VerifiedOrganization,
    session: SessionDep,
    rates: RateLimitsDep,
) -> ObjectionPublic:
    """At most ``objection_filings_per_window_max`` filings per organisation per
    ``objection_filing_window_s``; beyond, 429 ``objections_throttled`` with Retry-After."""
    row = objections.file_objection(session, rates, principal, asset_id, body, now=utc_now())
    return objections.objection_public(row)


@router.get(
    "/assets/{asset_id}/objections",
    summary="An asset's objections (owner, operators, arbitrators: all; objectors: their own)",
)
def list_asset_objections(
    asset_id: AssetId,
    principal: CurrentAccount,
    session: SessionDep,
    limit: PageLimit = limits.page_size_max,
    offset: PageOffset = 0,
) -> list[ObjectionPublic]:
    """Oldest first, a page at a time (``offset`` counts every objection, seen or not)."""
    rows = objections.objections_of(session, principal, asset_id, limit=limit, offset=offset)
    return [objections.objection_public(o) for o in rows]


@router.get("/objections", summary="Objections your organisation filed or faces (operators: all)")
def list_objections(
    *,
    principal: CurrentAccount,
    session: SessionDep,
    status: ObjectionStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=limits.page_size_max)] = limits.page_size_default,
    offset: Annotated[int, Query(ge=0, le=limits.id_max)] = 0,
) -> ObjectionPage:
    return objections.list_objections(session, principal, status=status, offset=offset, limit=limit)


@router.get("/objections/{objection_id}", summary="One objection and its status")
def get_objection(
    objection_id: ObjectionId, principal: CurrentAccount, session: SessionDep
) -> ObjectionPublic:
    return objections.objection_public(objections.get_objection(session, principal, objection_id))


@router.post(
    "/objections/{objection_id}/decision",
    summary="Uphold (suspends the asset) or dismiss (restores it) an objection (operators)",
)
def decide_objection(
    objection_id: ObjectionId, body: ObjectionDecision, operator: Operator, session: SessionDep
) -> ObjectionPublic:
    row = objections.decide(session, operator, objection_id, body, utc_now())
    return objections.objection_public(row)


@router.post("/assets/{asset_id}/suspend", summary="Suspend an asset, with a reason (operators)")
def suspend_asset(
    asset_id: AssetId, body: SuspensionCreate, operator: Operator, session: SessionDep
) -> AssetPublic:
    return service.asset_public(objections.suspend(session, operator, asset_id, body, utc_now()))


@router.post(
    "/assets/{asset_id}/reinstate",
    summary="Lift a suspension: back to the status the asset had (operators)",
)
def reinstate_asset(
    asset_id: AssetId, body: ReinstateRequest, operator: Operator, session: SessionDep
) -> AssetPublic:
    return service.asset_public(
        objections.reinstate(session, operator, asset_id, body.reason, utc_now())
    )
