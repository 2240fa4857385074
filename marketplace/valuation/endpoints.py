"""Valuation HTTP endpoints. Meaningless inputs (negative costs, a discount rate at or below
-100 %, a horizon of 0) are refused with 422 naming the field, by the input models."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets.endpoints import AssetId
from marketplace.assets.service import signing_context
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.http import JSON_ERROR_RESPONSES
from marketplace.identity.auth import CurrentAccount, OptionalAccount
from marketplace.pages.valuation import valuation_page
from marketplace.pages.web import report_response
from marketplace.paging import ID_DIGITS
from marketplace.valuation import service
from marketplace.valuation.schemas import CertificationDraft, ValuationPublic, ValuationRequest

router = APIRouter(tags=["valuation"])
ValuationId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="valuation id")]


@router.post(
    "/assets/{asset_id}/valuations",
    status_code=201,
    summary="Issue a valuation: indicative (owner, operator or valuer) or certified (valuer)",
)
def issue_valuation(
    asset_id: AssetId,
    body: ValuationRequest,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ValuationPublic:
    """Both kinds append ``valuation.issued`` with the report hash; a certified one carries the
    valuer's EIP-712 signature in the entry's signature field."""
    settings, now = runtime.settings, utc_now()
    if body.kind == "certified":
        ctx = signing_context(settings, runtime.chain_id, runtime.contract_address)
        valuation = service.issue_certified(
            session, settings, principal, asset_id, body, currency=settings.currency_unit, ctx=ctx,
            now=now,
        )  # fmt: skip
    else:
        valuation = service.issue_indicative(
            session, principal, asset_id, body, currency=settings.currency_unit, now=now
        )
    return service.valuation_public(session, valuation)


@router.post(
    "/assets/{asset_id}/valuations/draft",
    summary="A certified report to sign with your own key (valuers; writes nothing)",
)
def certification_draft(
    asset_id: AssetId,
    body: ValuationRequest,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> CertificationDraft:
    settings = runtime.settings
    ctx = signing_context(settings, runtime.chain_id, runtime.contract_address)
    return service.certification_draft(
        session, principal, asset_id, body, currency=settings.currency_unit, ctx=ctx, now=utc_now()
    )


@router.get("/assets/{asset_id}/valuations", summary="The asset's valuations, newest first")
def list_valuations(
    asset_id: AssetId, principal: OptionalAccount, session: SessionDep
) -> list[ValuationPublic]:
    return service.list_valuations(session, principal, asset_id)


@router.get("/assets/{asset_id}/valuations/{valuation_id}", summary="One valuation report")
def get_valuation(
    asset_id: AssetId, valuation_id: ValuationId, principal: OptionalAccount, session: SessionDep
) -> ValuationPublic:
    return service.valuation_public(
        session, service.get_valuation(session, principal, asset_id, valuation_id)
    )


@router.get(
    "/assets/{asset_id}/valuations/{valuation_id}/report.html",
    response_class=HTMLResponse,
    responses=JSON_ERROR_RESPONSES,  # the page is HTML; its errors are JSON
    summary="The valuation report as an HTML page of the site, with its charts",
)
def valuation_report_html(
    *,
    asset_id: AssetId,
    valuation_id: ValuationId,
    principal: OptionalAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
) -> Response:
    shown = service.shown_valuation(session, principal, asset_id, valuation_id)
    drawn = valuation_page(
        shown.report,
        valuation_id=shown.valuation_id,
        asset_id=shown.asset_id,
        asset_title=shown.asset_title,
        report_hash=shown.report_hash,
        scale=runtime.settings.currency_scale,
        signature=shown.signature,
        signer=shown.signer,
        quality=shown.quality,
        quality_hash=shown.quality_hash,
    )
    return report_response(request, drawn.template, drawn.view)


@router.get("/valuations/{valuation_id}", summary="One valuation report, by its id alone")
def get_valuation_by_id(
    valuation_id: ValuationId, principal: OptionalAccount, session: SessionDep
) -> ValuationPublic:
    return service.valuation_public(
        session, service.valuation_by_id(session, principal, valuation_id)
    )
