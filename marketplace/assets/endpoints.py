"""HTTP routes for data assets.

Uploads take the raw request body (never multipart: starlette spools multipart files to
plaintext temporary files) on ``PUT /upload/assets/{id}/revisions``. That prefix alone is
exempt from the global body-size limit; the upload enforces ``upload_bytes_max`` while it
streams. The upload commits its own transactions: the short permission check is committed before
the body is read (so SQLite's write lock is not held for the length of an upload), and the
revision row is committed right after the blob becomes visible, deleting the blob again if that
commit fails, so that neither a row without its blob nor a blob without its row is left.

The upload is the one ``async`` route (it reads the body as a stream), so all of its database and
file work runs in worker threads: on the event loop, SQLite's ``BEGIN IMMEDIATE`` would wait for
the write lock while the request holding that lock waits for the event loop, a stall that only
the 30 s busy timeout ends (with a "database is locked" error).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session
from starlette.requests import ClientDisconnect

from ledger.errors import NotAnchored
from ledger.models import utc_now
from ledger.receipts import build_receipt
from marketplace import limits
from marketplace.assets import dcat, objections, service
from marketplace.assets.errors import (
    InvalidContent,
    MultipartUpload,
    UploadIncomplete,
    UploadTooLarge,
)
from marketplace.assets.models import AssetRevision, AssetStatus, ContentFormat, ObjectionStatus
from marketplace.assets.schema_infer import TabularError
from marketplace.assets.schemas import (
    AssetCreate,
    AssetDeleted,
    AssetPage,
    AssetPublic,
    AssetUpdate,
    CancelRequest,
    ExternalRevisionCreate,
    ObjectionCreate,
    ObjectionDecision,
    ObjectionPage,
    ObjectionPublic,
    RegistrationPublic,
    ReinstateRequest,
    ReviewCreate,
    ReviewPublic,
    RevisionPublic,
    SchemaCorrection,
    SubmitRequest,
    SuspensionCreate,
    TransferRequest,
    check_media_type,
)
from marketplace.assets.upload import UploadPipeline
from marketplace.assets.upload import UploadTooLarge as PipelineTooLarge
from marketplace.assets.urls import Resolver, system_resolver
from marketplace.deps import BlobStoreDep, RuntimeDep, SessionDep
from marketplace.http import DOWNLOAD_HEADERS
from marketplace.identity.auth import (
    CurrentAccount,
    Operator,
    OptionalAccount,
    VerifiedOrganization,
    VerifiedSupplier,
)
from marketplace.quality import service as quality_service
from marketplace.quality.table_schema import within_bounds
from marketplace.valuation import service as valuation_service

log = logging.getLogger("databourse.assets")
router = APIRouter(tags=["assets"])

UPLOAD_PREFIX = "/upload/"
BIGINT_MAX = 2**63 - 1
FEED_BYTES = 1024 * 1024  # hand the pipeline 1 MiB at a time, off the event loop
AssetId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="asset id")]
RevisionNo = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="revision number")]

#: How external-source host names are resolved (tests substitute a fixed table).
resolver: Resolver = system_resolver


def get_signing_context(runtime: RuntimeDep) -> service.SigningContext:
    return service.signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)


SigningDep = Annotated[service.SigningContext, Depends(get_signing_context)]


def _receipt_or_none(session: Session, seq: int) -> dict[str, Any] | None:
    try:
        return build_receipt(session, seq)
    except NotAnchored:
        return None


def _revision_public(revision: Any) -> RevisionPublic:
    public = RevisionPublic.model_validate(revision, from_attributes=True)
    if public.table_schema is not None and not within_bounds(public.table_schema):
        # Stored before depth and size were bounded: withheld (it could not be serialised),
        # its schema_hash stands for it.
        public = public.model_copy(update={"table_schema": None})
    return public


# --- registration and metadata -------------------------------------------------------------


@router.post("/assets", status_code=201, summary="Register a data asset (verified suppliers)")
def create_asset(
    body: AssetCreate, principal: VerifiedSupplier, session: SessionDep
) -> AssetPublic:
    """Creates a draft with its DCAT metadata and compliance facts; add content next."""
    return service.asset_public(service.create_asset(session, principal, body, utc_now()))


@router.get("/assets", summary="Search assets (public: listed only; owners also their own)")
def search_assets(
    *,
    session: SessionDep,
    principal: OptionalAccount,
    owner: Annotated[int | None, Query(ge=1, le=BIGINT_MAX, description="owner org id")] = None,
    status: AssetStatus | None = None,
    theme: Annotated[str | None, Query(max_length=200)] = None,
    q: Annotated[str | None, Query(max_length=200, description="keywords")] = None,
    limit: Annotated[int, Query(ge=1, le=limits.page_size_max)] = limits.page_size_default,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
) -> AssetPage:
    return service.search(
        session,
        principal,
        owner=owner,
        status=status,
        theme=theme,
        keyword=q,
        offset=offset,
        limit=limit,
    )


@router.get("/assets/{asset_id}", summary="One asset")
def get_asset(asset_id: AssetId, session: SessionDep, principal: OptionalAccount) -> AssetPublic:
    return service.asset_public_for(principal, service.visible_asset(session, principal, asset_id))


@router.patch(
    "/assets/{asset_id}", summary="Change metadata (owner); a registered asset returns to draft"
)
def update_asset(
    asset_id: AssetId, body: AssetUpdate, principal: VerifiedSupplier, session: SessionDep
) -> AssetPublic:
    return service.asset_public(
        service.update_metadata(session, principal, asset_id, body, utc_now())
    )


@router.delete("/assets/{asset_id}", summary="Delete a draft that was never submitted (owner)")
def delete_draft(
    asset_id: AssetId, principal: CurrentAccount, session: SessionDep, store: BlobStoreDep
) -> AssetDeleted:
    """Deletes the draft, its revisions, their quality evaluations and stored blobs, and
    journals ``asset.deleted``. Another organisation's draft is a 404 (it is invisible to
    them); a draft ever submitted, or an asset in any other state, is a 409 naming it."""
    asset = service.deletable_draft(session, principal, asset_id)
    valuation_service.check_none_before_deletion(session, asset_id)
    quality_service.delete_for_draft(session, asset_id)
    deleted, blob_keys = service.delete_draft(session, principal, asset)
    session.commit()  # the blobs go only once the rows are gone for good
    for key in blob_keys:
        try:
            store.delete(key)
        except OSError:  # the row is gone; an orphan blob is unreadable without its wrapped key
            log.warning("could not delete blob %s of deleted asset %s", key, asset_id)
    return deleted


@router.get("/assets/{asset_id}/dcat", summary="The asset as DCAT 3 JSON-LD")
def get_dcat(
    asset_id: AssetId, session: SessionDep, principal: OptionalAccount, runtime: RuntimeDep
) -> dict[str, Any]:
    asset = service.visible_asset(session, principal, asset_id)
    revisions = service.list_revisions(session, principal, asset_id)
    return dcat.to_dcat(asset, revisions, runtime.settings.public_url)


# --- revisions -----------------------------------------------------------------------------


@router.put(
    UPLOAD_PREFIX + "assets/{asset_id}/revisions",
    status_code=201,
    summary="Upload a new revision as the raw request body (streamed, encrypted at rest)",
)
async def upload_revision(
    *,
    asset_id: AssetId,
    request: Request,
    principal: VerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
    background: BackgroundTasks,
    content_format: Annotated[ContentFormat, Query(alias="format")] = ContentFormat.opaque,
    media_type: Annotated[str | None, Query(max_length=127)] = None,
) -> RevisionPublic:
    """Send the file as the body (``Content-Type`` is ignored; give ``media_type``). ``format``
    ``csv`` and ``jsonl`` are checked row by row and get an inferred Table Schema; ``opaque``
    stores any bytes."""
    settings = runtime.settings
    if request.headers.get("content-type", "").lower().startswith("multipart/"):
        raise MultipartUpload(
            "send the file as the raw request body, not as a multipart form "
            "(curl --upload-file FILE, or the SDK's upload_revision)"
        )
    try:
        media = check_media_type(media_type or _default_media_type(content_format))
    except ValueError as exc:
        raise InvalidContent(str(exc)) from exc

    def admit() -> None:
        service.check_may_add_revision(session, principal, asset_id)
        session.commit()  # no transaction stays open while the body is read

    await anyio.to_thread.run_sync(admit)
    declared = _declared_length(request)
    if declared is not None and declared > settings.upload_bytes_max:
        raise UploadTooLarge(f"the upload is over the limit of {settings.upload_bytes_max} bytes")
    with await anyio.to_thread.run_sync(
        UploadPipeline,
        store,
        content_format.value,
        settings.upload_bytes_max,
        settings.master_key_bytes,
    ) as pipeline:
        await _pump(request, pipeline)
        if declared is not None and pipeline.received_bytes != declared:
            raise UploadIncomplete(
                f"received {pipeline.received_bytes} of {declared} bytes: the upload was cut "
                "short; send it again"
            )
        try:
            result = await anyio.to_thread.run_sync(pipeline.finish)
        except TabularError as exc:
            raise InvalidContent(f"{exc}") from exc

        def record() -> AssetRevision:
            # One short write transaction, begun and committed in this thread.
            revision = service.record_upload(
                session,
                principal,
                asset_id,
                content_format=content_format,
                media_type=media,
                result=result,
                now=utc_now(),
            )
            session.flush()
            key = pipeline.commit()
            try:
                session.commit()
            except BaseException:
                store.delete(key)
                raise
            return revision

        revision = await anyio.to_thread.run_sync(record)

    # A committed tabular upload is evaluated in the background; scheduling runs in its own
    # transaction (in a worker thread) and never fails the upload.
    job = await anyio.to_thread.run_sync(
        partial(
            quality_service.start_after_upload,
            runtime.engine,
            settings,
            store,
            principal,
            asset_id=asset_id,
            number=revision.number,
            content_format=content_format.value,
        )
    )
    if job is not None:
        background.add_task(job)
    return _revision_public(revision)


def _default_media_type(content_format: ContentFormat) -> str:
    return {
        ContentFormat.csv: "text/csv",
        ContentFormat.jsonl: "application/jsonl",
        ContentFormat.parquet: "application/vnd.apache.parquet",
        ContentFormat.opaque: "application/octet-stream",
    }[content_format]


def _declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise UploadIncomplete("the Content-Length header is not a number") from exc
    if value < 0:
        raise UploadIncomplete("the Content-Length header is negative")
    return value


async def _pump(request: Request, pipeline: UploadPipeline) -> None:
    buffer = bytearray()
    try:
        stream: AsyncIterator[bytes] = request.stream()
        async for piece in stream:
            buffer += piece
            if len(buffer) >= FEED_BYTES:
                data, buffer = bytes(buffer), bytearray()
                await anyio.to_thread.run_sync(pipeline.feed, data)
        if buffer:
            await anyio.to_thread.run_sync(pipeline.feed, bytes(buffer))
    except ClientDisconnect as exc:
        raise UploadIncomplete("the client disconnected before the upload ended") from exc
    except PipelineTooLarge as exc:
        raise UploadTooLarge(str(exc)) from exc
    except TabularError as exc:
        raise InvalidContent(str(exc)) from exc


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
    return _revision_public(
        service.add_external_revision(
            session, principal, asset_id, body=body, now=utc_now(), resolver=resolver
        )
    )


@router.get("/assets/{asset_id}/revisions", summary="Revisions you may see")
def list_revisions(
    asset_id: AssetId, session: SessionDep, principal: OptionalAccount
) -> list[RevisionPublic]:
    return [_revision_public(r) for r in service.list_revisions(session, principal, asset_id)]


@router.get("/assets/{asset_id}/revisions/{number}", summary="One revision")
def get_revision(
    asset_id: AssetId, number: RevisionNo, session: SessionDep, principal: OptionalAccount
) -> RevisionPublic:
    return _revision_public(service.get_revision(session, principal, asset_id, number))


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
    return _revision_public(revision)


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


# --- review and registration ---------------------------------------------------------------


@router.get("/assets/{asset_id}/application", summary="The registration application to sign")
def get_application(
    asset_id: AssetId, principal: VerifiedSupplier, session: SessionDep, ctx: SigningDep
) -> dict[str, Any]:
    """EIP-712 typed data for self-custody accounts: sign it and send the signature, nonce and
    deadline to ``POST /assets/{id}/submit``."""
    return service.application_for(session, principal, asset_id, ctx, utc_now())


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
    asset_id: AssetId, principal: CurrentAccount, session: SessionDep
) -> list[ReviewPublic]:
    return [
        ReviewPublic.model_validate(r, from_attributes=True)
        for r in service.reviews_of(session, principal, asset_id)
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
    return service.certificate_document(session, principal, asset_id, _receipt_or_none)


@router.get("/assets/{asset_id}/registrations", summary="Every registration of the asset")
def list_registrations(
    asset_id: AssetId, session: SessionDep, principal: OptionalAccount
) -> list[RegistrationPublic]:
    return [
        RegistrationPublic.model_validate(r, from_attributes=True)
        for r in service.registrations_of(session, principal, asset_id)
    ]


# --- objections and suspension (marketplace/assets/objections.py) ---------------------------

ObjectionId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="objection id")]


@router.post(
    "/assets/{asset_id}/objections",
    status_code=201,
    summary="Object (异议) to an asset (verified organisations); the asset stays listed, flagged",
)
def file_objection(
    asset_id: AssetId, body: ObjectionCreate, principal: VerifiedOrganization, session: SessionDep
) -> ObjectionPublic:
    row = objections.file_objection(session, principal, asset_id, body, utc_now())
    return objections.objection_public(row)


@router.get(
    "/assets/{asset_id}/objections",
    summary="An asset's objections (owner, operators, arbitrators: all; objectors: their own)",
)
def list_asset_objections(
    asset_id: AssetId, principal: CurrentAccount, session: SessionDep
) -> list[ObjectionPublic]:
    rows = objections.objections_of(session, principal, asset_id)
    return [objections.objection_public(o) for o in rows]


@router.get("/objections", summary="Objections your organisation filed or faces (operators: all)")
def list_objections(
    *,
    principal: CurrentAccount,
    session: SessionDep,
    status: ObjectionStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=limits.page_size_max)] = limits.page_size_default,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
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


__all__ = ["UPLOAD_PREFIX", "router"]
