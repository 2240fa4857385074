"""Downloads: issuing a signed URL (which counts one download and writes ``delivery.served``),
and serving it (a whole file or one byte range, decrypted as it streams, or the ciphertext for
key-wrapped delivery).

Counting: a download is counted when its URL is issued, not when bytes leave: the URL works for
its whole life (at most 15 minutes), so an interrupted transfer resumes with ``Range`` against
the same URL without using another download. ``delivery.served`` is written in the same
transaction as the count, with the SHA-256 and size of the exact bytes the URL serves: the
revision's content hash for a plain download, the stored ciphertext's (its blob key) for a
key-wrapped one, and the licence's marked copy's when a fingerprint applies (``marked``: the
transform runs once per licence, at its first URL, and every URL serves the copy kept).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc, utc_now
from marketplace import limits
from marketplace.assets import service as assets
from marketplace.blobs.envelope import decrypt_range, decrypt_stream, unwrap_key
from marketplace.blobs.store import BlobNotFound, BlobStore
from marketplace.delivery import ranges, repository, tokens, wrapping
from marketplace.delivery.errors import (
    DeliveryKeyMissing,
    DownloadNotFound,
    DownloadUrlExpired,
    DownloadUrlInvalid,
    NotDeliverable,
    RangeNotSatisfiable,
)
from marketplace.delivery.models import Download, Licence, MarkedCopy
from marketplace.delivery.schemas import DownloadUrl
from marketplace.delivery.service import marked, seams
from marketplace.delivery.service.licences import check_access, held_licence, licence_view
from marketplace.principal import Principal
from marketplace.settings import Settings

SERVED_KIND = "delivery.served"
_SUFFIX = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}


@dataclass(frozen=True)
class _Stored:
    """What the licensed revision's stored content is."""

    blob_key: str
    wrapped_key: bytes
    sha256: str
    size_bytes: int
    media_type: str
    file_name: str


def _stored(session: Session, row: Licence) -> _Stored:
    revision = assets.stored_revision(session, row.asset_id, row.revision)
    if (
        revision is None
        or revision.blob_key is None
        or revision.wrapped_key is None
        or revision.sha256 is None
        or revision.size_bytes is None
    ):
        raise NotDeliverable(
            f"revision {row.revision} of asset {row.asset_id} has no stored content to deliver"
        )
    suffix = _SUFFIX.get(str(revision.content_format), ".bin")
    return _Stored(
        blob_key=revision.blob_key,
        wrapped_key=revision.wrapped_key,
        sha256=revision.sha256,
        size_bytes=revision.size_bytes,
        media_type=revision.media_type,
        file_name=f"asset-{row.asset_id}-revision-{row.revision}{suffix}",
    )


def _data_key(settings: Settings, stored: _Stored | MarkedCopy) -> bytes:
    return unwrap_key(settings.master_key_bytes, stored.wrapped_key, stored.blob_key.encode())


def _ciphertext_size(store: BlobStore, blob_key: str) -> int:
    with store.open(blob_key) as source:
        return source.seek(0, os.SEEK_END)


def _plain_stream(settings: Settings, store: BlobStore, stored: _Stored) -> Iterator[bytes]:
    data_key = _data_key(settings, stored)
    source = store.open(stored.blob_key)
    with source:
        yield from decrypt_stream(data_key, source)


def issue_url(
    session: Session,
    settings: Settings,
    store: BlobStore,
    principal: Principal,
    licence_id: int,
    *,
    base_url: str,
    now: datetime | None = None,
) -> DownloadUrl:
    """A signed URL for the caller's licence (its organisation's only: 404 otherwise), after the
    access check (purpose, expiry, downloads). Counts one download and writes
    ``delivery.served`` in this transaction; the first one also tells the orders domain
    (``seams.served_hooks``)."""
    now = now or utc_now()
    found = held_licence(session, principal, licence_id)
    if found.downloads == 0:
        # The first download moves the order: lock it before the licence and the journal head.
        seams.lock_order(session, found.order_id)
    row = held_licence(session, principal, licence_id, lock=True)
    check_access(row, now)
    stored = _stored(session, row)
    view = licence_view(row)
    assert row.id is not None
    recipient: str | None = None
    chunk_root: str | None = None
    if row.delivery_mode == "key_wrapped":
        key = repository.delivery_key(session, row.buyer_organization_id)
        if key is None:
            raise DeliveryKeyMissing(
                f"licence {row.id} is delivered key-wrapped: register your organisation's X25519 "
                "public key first (PUT /organizations/me/delivery-key; CLI: bourse delivery-key "
                "create FILE, which keeps the private key in FILE)"
            )
        recipient = key.public_key
        sha256, size = stored.blob_key, _ciphertext_size(store, stored.blob_key)
    else:
        transform = seams.transform_for(session, view, stored.media_type)
        if transform is seams.identity:
            sha256, size = stored.sha256, stored.size_bytes
        else:
            plaintext = _plain_stream(settings, store, stored)  # read only to make the copy
            copy = marked.held_or_made(
                session, settings.master_key_bytes, store, row.id, transform(plaintext)
            )
            sha256, size, chunk_root = copy.sha256, copy.size_bytes, copy.chunk_root
    expires = now + timedelta(seconds=settings.delivery_url_ttl_s)
    download = Download(
        licence_id=row.id,
        mode=row.delivery_mode,
        sha256=sha256,
        size_bytes=size,
        chunk_root=chunk_root,
        nonce=os.urandom(16).hex(),
        expires_at=expires,
        recipient_key=recipient,
        issued_by=principal.account_id,
        issued_at=now,
    )
    repository.add(session, download)
    assert download.id is not None
    if recipient is not None:
        context = wrapping.info(row.id, download.id, sha256)
        download.wrapped_key = wrapping.wrap(_data_key(settings, stored), recipient, context)
    first = row.downloads == 0
    row.downloads += 1
    entry = journal.append(
        session,
        kind=SERVED_KIND,
        subject=f"order:{row.order_id}",
        actor=principal.address,
        payload=_served_payload(row, download, expires),
    )
    download.served_seq = entry.seq
    session.add(row)
    session.add(download)
    session.flush()
    if first:
        seams.first_served(session, row.order_id)
    return _download_url(row, download, stored, settings, base_url)


def _served_payload(row: Licence, download: Download, expires: datetime) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "licence_id": row.id,
        "order_id": row.order_id,
        "download_id": download.id,
        "asset_id": row.asset_id,
        "revision": row.revision,
        "mode": download.mode,
        "sha256": download.sha256,
        "size_bytes": download.size_bytes,
        "download": row.downloads,
        "expires_at": int(expires.timestamp()),
    }
    if download.chunk_root is not None:
        payload["chunk_root"] = download.chunk_root
    if download.recipient_key is not None:
        payload["recipient_key"] = download.recipient_key
    return payload


def _download_url(
    row: Licence, download: Download, stored: _Stored, settings: Settings, base_url: str
) -> DownloadUrl:
    assert row.id is not None
    assert download.id is not None
    expires = as_utc(download.expires_at)
    token = tokens.issue(
        tokens.url_key(settings.secret_key.get_secret_value()),
        licence_id=row.id,
        download_id=download.id,
        expires_s=int(expires.timestamp()),
        nonce=download.nonce,
    )
    path = f"/downloads/{token}"
    wrapped = download.wrapped_key
    key_wrapped = download.mode == "key_wrapped"
    return DownloadUrl(
        licence_id=row.id,
        order_id=row.order_id,
        download_id=download.id,
        url=base_url.rstrip("/") + path,
        path=path,
        expires_at=expires,
        mode="key_wrapped" if key_wrapped else "download",
        sha256=download.sha256,
        size_bytes=download.size_bytes,
        chunk_root=download.chunk_root,
        served_seq=download.served_seq,
        downloads=row.downloads,
        max_downloads=row.max_downloads,
        media_type="application/octet-stream" if key_wrapped else stored.media_type,
        file_name=stored.file_name + (".dbenc" if key_wrapped else ""),
        hpke_suite=wrapping.SUITE_NAME if key_wrapped else None,
        hpke_info=(
            wrapping.info(row.id, download.id, download.sha256).decode() if key_wrapped else None
        ),
        recipient_key=download.recipient_key,
        wrapped_key=base64.b64encode(wrapped).decode() if wrapped is not None else None,
    )


@dataclass
class Served:
    """A response to ``GET /downloads/{token}``: status (200 or 206), headers, and the body as
    an iterator that reads the store as it is consumed (no session needed by then)."""

    status: int
    headers: dict[str, str]
    media_type: str
    body: Iterator[bytes] = field(repr=False)


def _checked_download(
    session: Session, settings: Settings, token: str, now: datetime
) -> tuple[Licence, Download]:
    try:
        claims = tokens.parse(token)
    except tokens.TokenInvalid as exc:
        raise DownloadUrlInvalid(
            "this download URL is not one the exchange issued (altered or truncated); ask for "
            "a new one (POST /licences/{id}/download-url)"
        ) from exc
    download = repository.download(session, claims.download_id)
    if download is None or download.licence_id != claims.licence_id:
        raise DownloadUrlInvalid("this download URL was altered; ask for a new one")
    key = tokens.url_key(settings.secret_key.get_secret_value())
    try:
        tokens.check(key, claims, download.nonce)
    except tokens.TokenInvalid as exc:
        raise DownloadUrlInvalid("this download URL was altered; ask for a new one") from exc
    if claims.expires_s <= int(now.timestamp()):
        when = datetime.fromtimestamp(claims.expires_s, UTC).isoformat()
        raise DownloadUrlExpired(
            f"this download URL expired at {when}; ask for a new one "
            "(POST /licences/{id}/download-url)"
        )
    row = repository.licence(session, download.licence_id)
    if row is None:  # pragma: no cover - a download row always has its licence
        raise DownloadNotFound("no such download")
    return row, download


def serve(
    session: Session,
    settings: Settings,
    store: BlobStore,
    token: str,
    *,
    range_header: str | None,
    if_range: str | None = None,
    head: bool = False,
    now: datetime | None = None,
) -> Served:
    """Check the token (403 altered, 410 expired), then the licence again (it may have expired
    since the URL was issued; the count was taken at issue), and plan the bytes: the whole file
    (200) or the one range asked (206; 416 when unsatisfiable). The bytes a URL serves never
    change, so their SHA-256 is a strong ``ETag``; a range sent with an ``If-Range`` that is not
    that ETag is ignored (the whole file, 200), as RFC 9110 §13.1.5 says. ``head``: the same
    answer without a body, reading no blob."""
    now = now or utc_now()
    row, download = _checked_download(session, settings, token, now)
    if as_utc(row.expires_at) <= now:
        check_access(row, now)  # raises licence_expired
    stored = _stored(session, row)
    size = download.size_bytes
    etag = f'"{download.sha256}"'
    if if_range is not None and if_range.strip() != etag:
        range_header = None  # the client's copy is of other bytes: it gets them all again
    start, stop = 0, size
    if range_header:
        try:
            start, stop = ranges.parse(range_header, size)
        except ranges.BadRange as exc:
            raise RangeNotSatisfiable(str(exc), size_bytes=size) from exc
    body = iter(()) if head else _body(session, settings, store, row, download, stored, start, stop)
    key_wrapped = download.mode == "key_wrapped"
    headers = {
        "Content-Disposition": (
            f'attachment; filename="{stored.file_name}{".dbenc" if key_wrapped else ""}"'
        ),
        "Content-Length": str(stop - start),
        "Accept-Ranges": "bytes",
        "X-Content-SHA256": download.sha256,
        "X-Served-Seq": str(download.served_seq),
        "ETag": etag,
        "Cache-Control": "no-store",
    }
    status = 200
    if range_header:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    media = "application/octet-stream" if key_wrapped else stored.media_type
    return Served(status=status, headers=headers, media_type=media, body=body)


def _body(  # noqa: PLR0917 -- private; its caller names every part once
    session: Session,
    settings: Settings,
    store: BlobStore,
    row: Licence,
    download: Download,
    stored: _Stored,
    start: int,
    stop: int,
) -> Iterator[bytes]:
    """The bytes ``[start, stop)``, read lazily: of the stored ciphertext (key-wrapped), of the
    licence's marked copy (the download names its hash) or of the revision's plaintext. Each is
    a seekable blob, so a range costs what it serves. Everything that needs the session is
    decided here, before the response starts."""
    if download.mode == "key_wrapped":
        return _raw(_opened(store, stored.blob_key), start, stop)
    assert row.id is not None
    copy = repository.marked_copy(session, row.id)
    blob: _Stored | MarkedCopy
    if copy is not None and copy.sha256 == download.sha256:
        blob = copy
    elif download.sha256 == stored.sha256:
        blob = stored
    else:  # transformed at issue, before marked copies were kept: its bytes are not stored
        raise DownloadUrlExpired(
            "this download URL was issued before this licence's marked copy was kept; ask for "
            "a new one (POST /licences/{id}/download-url)"
        )
    data_key = _data_key(settings, blob)
    source = _opened(store, blob.blob_key)
    return _closing(source, decrypt_range(data_key, source, blob.size_bytes, start, stop))


def _opened(store: BlobStore, blob_key: str) -> BinaryIO:
    try:
        return store.open(blob_key)
    except BlobNotFound as exc:
        raise NotDeliverable("the stored content to deliver is missing") from exc


def _closing(source: BinaryIO, chunks: Iterator[bytes]) -> Iterator[bytes]:
    with source:
        yield from chunks


def _raw(source: BinaryIO, start: int, stop: int) -> Iterator[bytes]:
    with source:
        source.seek(start)
        remaining = stop - start
        while remaining:
            chunk = source.read(min(remaining, limits.delivery_stream_chunk_bytes))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


def downloads_in(session: Session, order_id: int, start: datetime, end: datetime) -> int:
    """``orders.service.usage_counters``: the downloads the exchange served under the order's
    licence in [``start``, ``end``), by its own records (each issued URL counts one and wrote
    ``delivery.served``), never a party's claim."""
    return repository.downloads_issued(session, order_id, start, end)


def served_seqs(session: Session, licence_id: int) -> list[int]:
    """The journal seqs of every ``delivery.served`` of the licence, oldest first (a dispute
    attaches them as evidence; the caller decides who may see them)."""
    return repository.served_seqs(session, licence_id)
