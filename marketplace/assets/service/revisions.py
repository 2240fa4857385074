"""Revisions: uploaded or external content, each with its own content hash and table schema;
reading an uploaded revision's decrypted content."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlmodel import Session

from marketplace import limits
from marketplace.assets import lifecycle, repository, visibility
from marketplace.assets.errors import (
    AssetStateConflict,
    InvalidContent,
    NotAssetOwner,
    RevisionNotFound,
    UnsafeSource,
)
from marketplace.assets.lifecycle import AssetEvent
from marketplace.assets.models import Asset, AssetRevision, ContentFormat, RevisionSource
from marketplace.assets.schema_correction import validate_table_schema
from marketplace.assets.schema_infer import TabularError, schema_hash
from marketplace.assets.schemas import ExternalRevisionCreate
from marketplace.assets.service.access import (
    may_download,
    owned_asset,
    visible_asset,
    visible_revision,
)
from marketplace.assets.service.journaling import journal_asset, sha256_text, touch
from marketplace.assets.upload import UploadResult
from marketplace.assets.urls import Resolver, UnsafeUrl, validate_external_url
from marketplace.blobs.envelope import decrypt_stream, unwrap_key
from marketplace.blobs.store import BlobStore
from marketplace.principal import Principal
from marketplace.settings import Settings


def check_may_add_revision(session: Session, principal: Principal, asset_id: int) -> Asset:
    asset = owned_asset(session, principal, asset_id)
    lifecycle.require(asset, AssetEvent.add_revision)
    return asset


def new_revision_number(asset: Asset) -> int:
    return asset.latest_revision + 1


def record_upload(
    session: Session,
    principal: Principal,
    asset_id: int,
    *,
    content_format: ContentFormat,
    media_type: str,
    result: UploadResult,
    now: datetime,
) -> AssetRevision:
    """Record an uploaded revision (the caller commits the blob after this flushes)."""
    asset = check_may_add_revision(session, principal, asset_id)
    assert asset.id is not None
    identity_ = result.identity
    revision = AssetRevision(
        asset_id=asset.id,
        number=new_revision_number(asset),
        source=RevisionSource.upload,
        content_format=content_format,
        media_type=media_type,
        size_bytes=identity_.size_bytes,
        sha256=identity_.sha256,
        chunk_root=identity_.chunk_root,
        chunk_bytes=identity_.chunk_bytes,
        chunk_count=identity_.chunk_count,
        blob_key=result.blob_key,
        wrapped_key=result.wrapped_key,
        table_schema=result.table_schema,
        schema_hash=schema_hash(result.table_schema) if result.table_schema else None,
        created_by=principal.account_id,
        created_at=now,
    )
    return add_revision(session, principal, asset, revision, now)


def add_revision(
    session: Session, principal: Principal, asset: Asset, revision: AssetRevision, now: datetime
) -> AssetRevision:
    transition = lifecycle.apply(asset, AssetEvent.add_revision)
    repository.add(session, revision)
    asset.latest_revision = revision.number
    touch(session, asset, now)
    journal_asset(
        session,
        transition.kind,
        asset,
        principal.address,
        revision=revision.number,
        source=str(revision.source),
        content_format=str(revision.content_format),
        content_hash=revision.sha256,
        chunk_root=revision.chunk_root,
        schema_hash=revision.schema_hash,
        external_url_sha256=sha256_text(revision.external_url) if revision.external_url else None,
    )
    return revision


def add_external_revision(
    session: Session,
    principal: Principal,
    asset_id: int,
    *,
    body: ExternalRevisionCreate,
    now: datetime,
    resolver: Resolver,
) -> AssetRevision:
    asset = check_may_add_revision(session, principal, asset_id)  # before resolving any host
    try:
        checked = validate_external_url(body.url, resolver)
    except UnsafeUrl as exc:
        raise UnsafeSource(str(exc)) from exc
    assert asset.id is not None
    revision = AssetRevision(
        asset_id=asset.id,
        number=new_revision_number(asset),
        source=RevisionSource.external_api if body.kind == "api" else RevisionSource.external_file,
        content_format=body.content_format,
        media_type=body.media_type,
        external_url=checked.url,
        created_by=principal.account_id,
        created_at=now,
    )
    return add_revision(session, principal, asset, revision, now)


def get_revision(
    session: Session, principal: Principal | None, asset_id: int, number: int
) -> AssetRevision:
    return visible_revision(session, principal, asset_id, number)[1]


def list_revisions(
    session: Session,
    principal: Principal | None,
    asset_id: int,
    *,
    limit: int = limits.page_size_max,
    offset: int = 0,
) -> list[AssetRevision]:
    """A page of the asset's revisions, oldest first, of which those the caller may see
    (``offset`` counts every revision: a hidden one leaves its page short)."""
    asset = visible_asset(session, principal, asset_id)
    rows = repository.revisions(session, asset_id, limit=limit, offset=offset)
    return [r for r in rows if visibility.may_see_revision(principal, asset, r.number)]


def correct_schema(
    session: Session,
    principal: Principal,
    asset_id: int,
    *,
    number: int,
    table_schema: dict[str, Any],
    now: datetime,
) -> AssetRevision:
    asset = owned_asset(session, principal, asset_id)
    # Whenever a revision may be added, and only to a revision no review has registered (a
    # new upload to a listed asset is corrected before it is submitted).
    transition = lifecycle.require(asset, AssetEvent.correct_schema)
    revision = repository.revision(session, asset_id, number)
    if revision is None:
        raise RevisionNotFound(f"asset {asset_id} has no revision {number}")
    if asset.certified_revision is not None and number <= asset.certified_revision:
        raise AssetStateConflict(f"revision {number} is registered; its schema is fixed")
    if revision.content_format == ContentFormat.opaque.value:
        raise InvalidContent("opaque content has no table schema")
    columns = (
        len(revision.table_schema["fields"])
        if revision.content_format == ContentFormat.csv.value and revision.table_schema
        else None
    )
    try:
        normal = validate_table_schema(table_schema, columns)
    except TabularError as exc:
        raise InvalidContent(str(exc)) from exc
    revision.table_schema = normal
    revision.schema_hash = schema_hash(normal)
    revision.schema_corrected = True
    session.add(revision)
    lifecycle.apply(asset, AssetEvent.correct_schema)
    touch(session, asset, now)
    journal_asset(
        session,
        transition.kind,
        asset,
        principal.address,
        revision=number,
        schema_hash=revision.schema_hash,
    )
    return revision


def open_content(
    session: Session,
    principal: Principal,
    *,
    settings: Settings,
    store: BlobStore,
    asset_id: int,
    number: int,
) -> tuple[AssetRevision, Iterator[bytes]]:
    """The revision and an iterator over its decrypted bytes (for those allowed to read it)."""
    asset, revision = visible_revision(session, principal, asset_id, number)
    if not may_download(session, principal, asset, revision):
        raise NotAssetOwner("only the owner, or a buyer of this revision, may download it")
    if revision.blob_key is None or revision.wrapped_key is None:
        raise InvalidContent(
            f"revision {number} is an external source; fetch it from {revision.external_url}"
        )
    data_key = unwrap_key(
        settings.master_key_bytes, revision.wrapped_key, revision.blob_key.encode()
    )
    source = store.open(revision.blob_key)

    def plaintext() -> Iterator[bytes]:
        with source:
            yield from decrypt_stream(data_key, source)

    return revision, plaintext()


def revision_blob_keys(session: Session) -> set[str]:
    """The blob keys uploaded revisions hold (``blobs.sweep`` deletes no blob named here)."""
    return repository.revision_blob_keys(session)
