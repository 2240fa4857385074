"""Routes for submission, compliance review, listing and the registration certificate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets import service
from marketplace.assets.endpoints.params import AssetId, SigningDep, receipt_or_none
from marketplace.assets.schemas import (
    AssetPublic,
    RegistrationPublic,
    ReviewCreate,
    ReviewPublic,
    SubmitRequest,
)
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.identity.auth import CurrentAccount, Operator, OptionalAccount, VerifiedSupplier
from marketplace.paging import PageLimit, PageOffset

router = APIRouter()


@router.get("/assets/{asset_id}/application", summary="The registration application to sign")
def get_application(
    asset_id: AssetId, principal: VerifiedSupplier, session: SessionDep, ctx: SigningDep
) -> dict[str, Any]:
    """EIP-712 typed data for self-custody accounts: sign it and send the signature, nonce and
    deadline to ``POST /assets/{id}/submit``."""
    return service.application_for(session, principal, asset_id, ctx, utc_now()).document()


@router.post("/assets/{asset_id}/submit", summary="Submit for compliance review")
def submit(
    *,
    asset_id: AssetId,
    body: SubmitRequest,
    principal: VerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
    ctx: SigningDep,
) -> AssetPublic:
    asset = service.submit(
        session, runtime.settings, principal, asset_id=asset_id, body=body, ctx=ctx, now=utc_now()
    )
    return service.asset_public(asset)


@router.post(
    "/assets/{asset_id}/reviews", status_code=201, summary="Record a compliance review (operators)"
)
def review(
    asset_id: AssetId, body: ReviewCreate, operator: Operator, session: SessionDep, ctx: SigningDep
) -> ReviewPublic:
    row = service.review(session, operator, asset_id, body=body, ctx=ctx, now=utc_now())
    return ReviewPublic.model_validate(row, from_attributes=True)


@router.get("/assets/{asset_id}/reviews", summary="Compliance reviews with their reasons")
def list_reviews(
    asset_id: AssetId,
    principal: CurrentAccount,
    session: SessionDep,
    limit: PageLimit = limits.page_size_max,
    offset: PageOffset = 0,
) -> list[ReviewPublic]:
    """Oldest first, a page at a time."""
    return [
        ReviewPublic.model_validate(r, from_attributes=True)
        for r in service.reviews_of(session, principal, asset_id, limit=limit, offset=offset)
    ]


@router.post("/assets/{asset_id}/list", summary="List an approved asset in the catalog")
def list_asset(asset_id: AssetId, principal: VerifiedSupplier, session: SessionDep) -> AssetPublic:
    return service.asset_public(service.list_asset(session, principal, asset_id, utc_now()))


@router.post("/assets/{asset_id}/delist", summary="Take an asset out of the catalog")
def delist_asset(asset_id: AssetId, principal: CurrentAccount, session: SessionDep) -> AssetPublic:
    return service.asset_public(service.delist_asset(session, principal, asset_id, utc_now()))


@router.get("/assets/{asset_id}/certificate", summary="The registration certificate and receipt")
def get_certificate(
    asset_id: AssetId, session: SessionDep, principal: OptionalAccount
) -> dict[str, Any]:
    """``receipt`` is null and ``anchor_status`` is ``pending`` until the entry's batch is
    confirmed on chain; ``bourse verify`` checks the signatures and the receipt."""
    return service.certificate_document(session, principal, asset_id, receipt_or_none)


@router.get("/assets/{asset_id}/registrations", summary="Every registration of the asset")
def list_registrations(
    asset_id: AssetId,
    session: SessionDep,
    principal: OptionalAccount,
    limit: PageLimit = limits.page_size_max,
    offset: PageOffset = 0,
) -> list[RegistrationPublic]:
    """Oldest first, a page at a time."""
    rows = service.registrations_of(session, principal, asset_id, limit=limit, offset=offset)
    return [RegistrationPublic.model_validate(r, from_attributes=True) for r in rows]
