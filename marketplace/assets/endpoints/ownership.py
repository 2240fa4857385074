"""Routes for transfer of ownership and cancellation."""

from __future__ import annotations

from fastapi import APIRouter

from ledger.models import utc_now
from marketplace.assets import service
from marketplace.assets.endpoints.params import AssetId, SigningDep
from marketplace.assets.schemas import AssetPublic, CancelRequest, SubmitRequest, TransferRequest
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.identity.auth import VerifiedSupplier

router = APIRouter()


@router.post("/assets/{asset_id}/transfer", summary="Transfer ownership to another supplier")
def transfer(
    *,
    asset_id: AssetId,
    body: TransferRequest,
    principal: VerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
    ctx: SigningDep,
) -> AssetPublic:
    asset = service.transfer(
        session,
        runtime.settings,
        principal,
        asset_id=asset_id,
        to_organization_id=body.to_organization_id,
        body=SubmitRequest(signature=body.signature, nonce=body.nonce, deadline=body.deadline),
        ctx=ctx,
        now=utc_now(),
    )
    return service.asset_public(asset)


@router.post("/assets/{asset_id}/cancel", summary="Cancel the registration")
def cancel(
    asset_id: AssetId, body: CancelRequest, principal: VerifiedSupplier, session: SessionDep
) -> AssetPublic:
    return service.asset_public(
        service.cancel(session, principal, asset_id, body.reason, utc_now())
    )
