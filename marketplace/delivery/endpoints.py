"""Delivery HTTP endpoints: your organisation's licences, a signed download URL for one (which
counts a download and writes ``delivery.served``), the download itself (the token is the
capability: no login), the organisation's X25519 delivery key, and the buyer's receipt."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import Response, StreamingResponse

from marketplace import limits
from marketplace.assets.service import signing_context
from marketplace.delivery import service
from marketplace.delivery.schemas import (
    HEX64,
    DeliveryKeyBody,
    DeliveryKeyView,
    DownloadUrl,
    LicencePage,
    LicenceView,
    ReceiptBody,
    ReceiptView,
)
from marketplace.deps import BlobStoreDep, RuntimeDep, SessionDep
from marketplace.http import DOWNLOAD_HEADERS
from marketplace.identity.auth import CurrentAccount
from marketplace.paging import ID_DIGITS

router = APIRouter(tags=["delivery"])
LicenceId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="licence id")]
Token = Annotated[str, Path(min_length=1, max_length=limits.delivery_token_length_max)]


@router.get("/licences", summary="Your organisation's licences, newest first")
def list_licences(
    principal: CurrentAccount,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=limits.page_size_max)] = limits.page_size_default,
    before_id: Annotated[int | None, Query(ge=1, le=limits.id_max)] = None,
) -> LicencePage:
    """Follow ``next_before_id`` as ``before_id`` for the next page."""
    return service.my_licences(session, principal, before_id=before_id, limit=limit)


@router.get("/licences/{licence_id}", summary="One of your organisation's licences")
def get_licence(
    licence_id: LicenceId, principal: CurrentAccount, session: SessionDep
) -> LicenceView:
    return service.get_licence(session, principal, licence_id)


@router.post(
    "/licences/{licence_id}/download-url",
    status_code=201,
    summary="A signed download URL for your licence (counts one download)",
)
def download_url(
    licence_id: LicenceId,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
) -> DownloadUrl:
    """Checks the licence (its holder only, purpose, expiry, downloads left), counts one
    download and writes ``delivery.served`` with the SHA-256 of the bytes the URL serves. The
    URL lives ``DATABOURSE_DELIVERY_URL_TTL_S`` (at most 15 minutes) and may be resumed with
    ``Range`` as often as needed meanwhile."""
    return service.issue_url(
        session, runtime.settings, store, principal, licence_id,
        base_url=runtime.settings.public_url,
    )  # fmt: skip


RangeHeader = Annotated[str | None, Header(alias="Range", max_length=200)]
IfRangeHeader = Annotated[
    str | None,
    Header(
        alias="If-Range",
        max_length=200,
        description="The ETag of the copy being resumed: a Range is served only for it",
    ),
]


@router.get(
    "/downloads/{token}",
    summary="Download with a signed URL (no login: the token is the capability)",
    response_class=StreamingResponse,
    responses={206: {"description": "one byte range"}, 410: {"description": "URL expired"}},
)
def download(
    token: Token,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
    *,
    range_header: RangeHeader = None,
    if_range: IfRangeHeader = None,
) -> StreamingResponse:
    """Streams the licensed revision decrypted (or its ciphertext, key-wrapped). ``Range``
    resumes an interrupted download (206), under ``If-Range`` only if it names this URL's
    ``ETag`` (the SHA-256 of its bytes); an altered URL is a 403, an expired one a 410, an
    unsatisfiable range a 416."""
    served = service.serve(
        session, runtime.settings, store, token, range_header=range_header, if_range=if_range
    )
    headers = {**DOWNLOAD_HEADERS, **served.headers}
    return StreamingResponse(
        served.body, status_code=served.status, media_type=served.media_type, headers=headers
    )


@router.head(
    "/downloads/{token}",
    summary="A signed URL's headers (size, ETag, ranges) without its bytes",
    response_class=Response,
)
def download_head(
    token: Token,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
    *,
    range_header: RangeHeader = None,
    if_range: IfRangeHeader = None,
) -> Response:
    """What ``GET`` would answer, without the body: download managers read the size and
    whether ranges are served before they start. Reads no blob and counts nothing."""
    served = service.serve(
        session, runtime.settings, store, token, range_header=range_header, if_range=if_range,
        head=True,
    )  # fmt: skip
    headers = {**DOWNLOAD_HEADERS, **served.headers}
    return Response(status_code=served.status, media_type=served.media_type, headers=headers)


@router.put(
    "/organizations/me/delivery-key",
    summary="Register your organisation's X25519 public key for key-wrapped delivery",
)
def put_delivery_key(
    body: DeliveryKeyBody, principal: CurrentAccount, session: SessionDep
) -> DeliveryKeyView:
    return service.register_key(session, principal, body.public_key)


@router.get("/organizations/me/delivery-key", summary="Your organisation's delivery key")
def get_delivery_key(principal: CurrentAccount, session: SessionDep) -> DeliveryKeyView:
    return service.my_key(session, principal)


@router.get(
    "/licences/{licence_id}/receipt/draft",
    summary="The DeliveryReceipt to sign with your own key (writes nothing)",
)
def receipt_draft(
    *,
    licence_id: LicenceId,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    served_seq: Annotated[int, Query(ge=1, le=limits.id_max)],
    sha256: Annotated[str, Query(pattern=HEX64)],
) -> dict[str, Any]:
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    return service.receipt_draft(
        session, principal, licence_id, served_seq=served_seq, sha256=sha256, ctx=ctx
    )


@router.post(
    "/licences/{licence_id}/receipt",
    status_code=201,
    summary="Sign and store your receipt for a served download",
)
def post_receipt(
    licence_id: LicenceId,
    body: ReceiptBody,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ReceiptView:
    """Checks ``sha256`` equals what ``served_seq`` recorded (422 otherwise), signs (custodial)
    or checks the signature, and journals ``delivery.receipted``; one per download (409)."""
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    return service.sign_receipt(session, runtime.settings, principal, licence_id, body, ctx=ctx)
