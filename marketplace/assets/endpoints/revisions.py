"""Routes for revisions: external sources, listing, schema correction and download."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks
from fastapi.responses import StreamingResponse

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets import service
from marketplace.assets.endpoints.params import AssetId, RevisionNo, revision_public
from marketplace.assets.models import AssetRevision
from marketplace.assets.schemas import ExternalRevisionCreate, RevisionPublic, SchemaCorrection
from marketplace.assets.urls import Resolver, system_resolver
from marketplace.deps import BlobStoreDep, RuntimeDep, SessionDep
from marketplace.http import DOWNLOAD_HEADERS
from marketplace.identity.auth import CurrentAccount, OptionalAccount, VerifiedSupplier
from marketplace.paging import PageLimit, PageOffset
from marketplace.quality import service as quality_service

router = APIRouter()

#: How external-source host names are resolved (tests substitute a fixed table).
resolver: Resolver = system_resolver


@router.post(
    "/assets/{asset_id}/revisions",
    status_code=201,
    summary="Add a revision served from an external HTTPS source",
)
def add_external_revision(
    asset_id: AssetId,
    body: ExternalRevisionCreate,
    principal: VerifiedSupplier,
    session: SessionDep,
) -> RevisionPublic:
    return revision_public(
        service.add_external_revision(
            session, principal, asset_id, body=body, now=utc_now(), resolver=resolver
        )
    )


@router.get("/assets/{asset_id}/revisions", summary="Revisions you may see")
def list_revisions(
    asset_id: AssetId,
    session: SessionDep,
    principal: OptionalAccount,
    limit: PageLimit = limits.page_size_max,
    offset: PageOffset = 0,
) -> list[RevisionPublic]:
    """Oldest first, a page at a time (``offset`` counts every revision, seen or not)."""
    rows = service.list_revisions(session, principal, asset_id, limit=limit, offset=offset)
    return [revision_public(r) for r in rows]


@router.get("/assets/{asset_id}/revisions/{number}", summary="One revision")
def get_revision(
    asset_id: AssetId, number: RevisionNo, session: SessionDep, principal: OptionalAccount
) -> RevisionPublic:
    return revision_public(service.get_revision(session, principal, asset_id, number))


@router.put("/assets/{asset_id}/revisions/{number}/schema", summary="Correct the inferred schema")
def correct_schema(
    *,
    asset_id: AssetId,
    number: RevisionNo,
    body: SchemaCorrection,
    principal: VerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
    background: BackgroundTasks,
) -> RevisionPublic:
    """A tabular upload is then evaluated again against the corrected schema, in the background
    once this request commits (as after an upload)."""
    revision = service.correct_schema(
        session,
        principal,
        asset_id,
        number=number,
        table_schema=body.table_schema,
        now=utc_now(),
    )
    evaluation_id = quality_service.evaluate_after_correction(
        session, runtime.settings, principal, asset_id, number
    )
    if evaluation_id is not None:
        background.add_task(
            quality_service.run_evaluation, runtime.engine, runtime.settings, store, evaluation_id
        )
    return revision_public(revision)


@router.get(
    "/assets/{asset_id}/revisions/{number}/content",
    summary="Download a revision's bytes (owner, or a buyer of it)",
    response_class=StreamingResponse,
)
def download_content(
    *,
    asset_id: AssetId,
    number: RevisionNo,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
) -> StreamingResponse:
    revision, chunks = service.open_content(
        session, principal, settings=runtime.settings, store=store, asset_id=asset_id, number=number
    )
    # Always a download, never a page of this origin: an uploaded text/html must not run here.
    headers = {
        **DOWNLOAD_HEADERS,
        "Content-Disposition": f'attachment; filename="{_file_name(asset_id, revision)}"',
        "X-Content-SHA256": str(revision.sha256),
        "X-Chunk-Root": str(revision.chunk_root),
    }
    if revision.size_bytes is not None:
        headers["Content-Length"] = str(revision.size_bytes)
    return StreamingResponse(chunks, media_type=revision.media_type, headers=headers)


def _file_name(asset_id: int, revision: AssetRevision) -> str:
    suffix = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}.get(
        str(revision.content_format), ".bin"
    )
    return f"asset-{asset_id}-revision-{revision.number}{suffix}"
