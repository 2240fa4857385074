"""Quality HTTP endpoints: request an evaluation (it runs in the background), follow its
progress, read the report."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Request
from fastapi.responses import HTMLResponse

from marketplace.assets.service import visible_asset
from marketplace.blobs.store import BlobStore, blob_store_from_url
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.identity import service as identity_service
from marketplace.identity.auth import CurrentAccount, bearer_token
from marketplace.identity.models import utc_now
from marketplace.identity.service import Principal
from marketplace.quality import service
from marketplace.quality.schemas import EvaluationPublic, EvaluationRequest

router = APIRouter(tags=["quality"])
BIGINT_MAX = 2**63 - 1
AssetId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="asset id")]
RevisionNo = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="revision number")]


@lru_cache(maxsize=8)
def _store_for(url: str) -> BlobStore:
    return blob_store_from_url(url)


def _maybe_principal(
    request: Request, session: SessionDep, runtime: RuntimeDep
) -> Principal | None:
    if request.headers.get("authorization") is None:
        return None
    return identity_service.authenticate(
        session, runtime.settings, bearer_token(request), utc_now()
    )


MaybeAccount = Annotated[Principal | None, Depends(_maybe_principal)]


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
            _store_for(runtime.settings.blob_url),
            evaluation.id,
        )
    asset = visible_asset(session, principal, asset_id)
    return service.evaluation_public(evaluation, principal, asset)


@router.get(
    "/assets/{asset_id}/revisions/{number}/quality",
    summary="The latest quality evaluation of a revision: progress, then the report",
)
def revision_evaluation(
    asset_id: AssetId, number: RevisionNo, principal: MaybeAccount, session: SessionDep
) -> EvaluationPublic:
    return service.revision_evaluation(session, principal, asset_id, number)


@router.get("/assets/{asset_id}/quality", summary="The asset's quality report, as buyers see it")
def asset_report(
    asset_id: AssetId, principal: MaybeAccount, session: SessionDep
) -> EvaluationPublic:
    return service.asset_report(session, principal, asset_id)


@router.get(
    "/assets/{asset_id}/quality/report.html",
    response_class=HTMLResponse,
    summary="The asset's quality report as a self-contained HTML page, with its radar chart",
)
def asset_report_html(
    asset_id: AssetId, principal: MaybeAccount, session: SessionDep
) -> HTMLResponse:
    return HTMLResponse(service.asset_report_page(session, principal, asset_id))
