"""Valuation HTTP endpoints. Meaningless inputs (negative costs, a discount rate at or below
-100 %, a horizon of 0) are refused with 422 naming the field, by the input models."""

from __future__ import annotations

from fastapi import APIRouter

from marketplace.deps import RuntimeDep, SessionDep
from marketplace.identity.auth import CurrentAccount
from marketplace.quality.endpoints import AssetId, MaybeAccount
from marketplace.valuation import service
from marketplace.valuation.models import utc_now
from marketplace.valuation.schemas import ValuationPublic, ValuationRequest

router = APIRouter(tags=["valuation"])


@router.post(
    "/assets/{asset_id}/valuations",
    status_code=201,
    summary="Issue an indicative valuation (owner, operator or valuer)",
)
def issue_valuation(
    asset_id: AssetId,
    body: ValuationRequest,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ValuationPublic:
    valuation = service.issue_indicative(
        session, principal, asset_id, body, currency=runtime.settings.currency, now=utc_now()
    )
    return service.valuation_public(valuation)


@router.get("/assets/{asset_id}/valuations", summary="The asset's valuations, newest first")
def list_valuations(
    asset_id: AssetId, principal: MaybeAccount, session: SessionDep
) -> list[ValuationPublic]:
    return service.list_valuations(session, principal, asset_id)
