"""The upload route.

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

from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, BackgroundTasks, Query, Request
from sqlmodel import Session
from starlette.requests import ClientDisconnect

from ledger.models import utc_now
from marketplace.assets import service
from marketplace.assets.endpoints.params import AssetId, revision_public
from marketplace.assets.errors import (
    InvalidContent,
    MultipartUpload,
    UploadIncomplete,
    UploadTooLarge,
)
from marketplace.assets.models import AssetRevision, ContentFormat
from marketplace.assets.schema_infer import TabularError
from marketplace.assets.schemas import RevisionPublic, check_media_type
from marketplace.assets.upload import UploadPipeline, UploadResult
from marketplace.assets.upload import UploadTooLarge as PipelineTooLarge
from marketplace.blobs.store import BlobStore
from marketplace.deps import BlobStoreDep, RuntimeDep, SessionDep
from marketplace.identity.auth import VerifiedSupplier
from marketplace.principal import Principal
from marketplace.quality import service as quality_service
from marketplace.runtime import Runtime

router = APIRouter()

UPLOAD_PREFIX = "/upload/"
FEED_BYTES = 1024 * 1024  # hand the pipeline 1 MiB at a time, off the event loop


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
    return await receive_revision(
        asset_id=asset_id,
        request=request,
        principal=principal,
        session=session,
        runtime=runtime,
        store=store,
        background=background,
        content_format=content_format,
        media_type=media_type,
    )


async def receive_revision(
    *,
    asset_id: int,
    request: Request,
    principal: Principal,
    session: Session,
    runtime: Runtime,
    store: BlobStore,
    background: BackgroundTasks,
    content_format: ContentFormat,
    media_type: str | None,
) -> RevisionPublic:
    """The upload itself, streamed from ``request``'s body: the API's route and the supplier's
    upload page (``pages/supplier_upload.py``, session and CSRF header) both call it."""
    settings = runtime.settings
    media = _checked_media_type(request, content_format, media_type)

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
        revision = await anyio.to_thread.run_sync(
            partial(
                _record,
                session,
                principal,
                asset_id,
                store=store,
                pipeline=pipeline,
                content_format=content_format,
                media_type=media,
                result=result,
            )
        )

    job = await anyio.to_thread.run_sync(
        partial(_evaluation_job, runtime, store, principal, revision, content_format)
    )
    if job is not None:
        background.add_task(job)
    return revision_public(revision)


def _evaluation_job(
    runtime: Runtime,
    store: BlobStore,
    principal: Principal,
    revision: AssetRevision,
    content_format: ContentFormat,
) -> Callable[[], None] | None:
    """A committed tabular upload is evaluated in the background; scheduling runs in its own
    transaction (in a worker thread) and never fails the upload."""
    return quality_service.start_after_upload(
        runtime.engine,
        runtime.settings,
        store,
        principal,
        asset_id=revision.asset_id,
        number=revision.number,
        content_format=content_format.value,
    )


def _checked_media_type(
    request: Request, content_format: ContentFormat, media_type: str | None
) -> str:
    if request.headers.get("content-type", "").lower().startswith("multipart/"):
        raise MultipartUpload(
            "send the file as the raw request body, not as a multipart form "
            "(curl --upload-file FILE, or the SDK's upload_revision)"
        )
    try:
        return check_media_type(media_type or _default_media_type(content_format))
    except ValueError as exc:
        raise InvalidContent(str(exc)) from exc


def _record(
    session: Session,
    principal: Principal,
    asset_id: int,
    *,
    store: BlobStore,
    pipeline: UploadPipeline,
    content_format: ContentFormat,
    media_type: str,
    result: UploadResult,
) -> AssetRevision:
    """The revision row and its blob, committed together in one short write transaction, begun
    and committed in this (worker) thread; the blob is deleted again if the commit fails."""
    revision = service.record_upload(
        session,
        principal,
        asset_id,
        content_format=content_format,
        media_type=media_type,
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
