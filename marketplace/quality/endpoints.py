"""Quality HTTP endpoints: request an evaluation (it runs in the background), follow its
progress, read the report."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, Response

from marketplace.assets.endpoints import AssetId, RevisionNo
from marketplace.assets.service import visible_asset
from marketplace.deps import BlobStoreDep, RuntimeDep, SessionDep
from marketplace.http import JSON_ERROR_RESPONSES
from marketplace.identity.auth import CurrentAccount, OptionalAccount
from marketplace.pages.quality import quality_page
from marketplace.pages.web import report_response
from marketplace.quality import service
from marketplace.quality.schemas import EvaluationPublic, EvaluationRequest

router = APIRouter(tags=["quality"])


@router.post(
    "/assets/{asset_id}/revisions/{number}/quality",
    status_code=202,
    summary="Evaluate a revision's quality in the background (owner or operator)",
)
def request_evaluation(
    *,
    asset_id: AssetId,
    number: RevisionNo,
    body: EvaluationRequest,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
    background: BackgroundTasks,
) -> EvaluationPublic:
    """Returns at once with the evaluation queued; follow ``progress_percent`` with
    ``GET`` on the same path. The job starts after this request commits."""
    evaluation = service.request_evaluation(session, principal, asset_id, number, body)
    assert evaluation.id is not None
    if evaluation.status == "queued":
        background.add_task(
            service.run_evaluation,
            runtime.engine,
            runtime.settings,
            store,
            evaluation.id,
        )
    asset = visible_asset(session, principal, asset_id)
    return service.evaluation_public(evaluation, principal, asset)


@router.get(
    "/assets/{asset_id}/revisions/{number}/quality",
    summary="The latest quality evaluation of a revision: progress, then the report",
)
def revision_evaluation(
    asset_id: AssetId, number: RevisionNo, principal: OptionalAccount, session: SessionDep
) -> EvaluationPublic:
    return service.revision_evaluation(session, principal, asset_id, number)


@router.get("/assets/{asset_id}/quality", summary="The asset's quality report, as buyers see it")
def asset_report(
    asset_id: AssetId, principal: OptionalAccount, session: SessionDep
) -> EvaluationPublic:
    return service.asset_report(session, principal, asset_id)


@router.get(
    "/assets/{asset_id}/quality/report.html",
    response_class=HTMLResponse,
    responses=JSON_ERROR_RESPONSES,  # the page is HTML; its errors are JSON
    summary="The asset's quality report as an HTML page of the site, with its radar chart",
)
def asset_report_html(
    asset_id: AssetId, principal: OptionalAccount, session: SessionDep, request: Request
) -> Response:
    shown = service.shown_asset_report(session, principal, asset_id)
    drawn = quality_page(
        shown.report,
        asset_id=shown.asset_id,
        asset_title=shown.asset_title,
        revision=shown.revision,
        report_hash=shown.report_hash,
    )
    return report_response(request, drawn.template, drawn.view)
