"""Evidence routes: a party submits a file (``POST /upload/disputes/{id}/evidence``, the raw
body) or a statement (``POST /disputes/{id}/evidence``, JSON); anyone who may see the dispute
lists and reads the items; the parties and the drawn arbitrators download their bytes.

Files go under the upload prefix, the one prefix exempt from the 1 MiB body limit; the route
refuses a body without a ``Content-Length`` (411) or over ``evidence_file_bytes_max`` (413)
before reading a byte, so at most that much is held in memory. Both submitting routes take an
``Idempotency-Key``: the respondent's first submission holds its arbitration fee.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets.service import signing_context
from marketplace.deps import BlobStoreDep, RuntimeDep, SessionDep
from marketplace.digits import DIGITS_MAX, ascii_digits, whole_number
from marketplace.disputes.evidence_errors import (
    EvidenceTooLarge,
    InvalidEvidence,
    LengthRequired,
    MultipartUpload,
)
from marketplace.disputes.evidence_schemas import EvidenceList, EvidencePublic, StatementCreate
from marketplace.disputes.service import evidence as service
from marketplace.http import DOWNLOAD_HEADERS
from marketplace.idempotency import idempotent
from marketplace.identity.auth import CurrentAccount
from marketplace.paging import ID_DIGITS
from marketplace.ratelimit.routes import per_account

router = APIRouter(tags=["disputes"])

UPLOAD_PATH = "/upload/disputes/{dispute_id}/evidence"
DisputeId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="dispute id")]
EvidenceId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="evidence id")]
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


async def evidence_body(request: Request) -> bytes:
    """The file, read whole once its declared length is within the limit (a body longer than
    its ``Content-Length`` is cut off by the server, never read)."""
    if request.headers.get("content-type", "").lower().startswith("multipart/"):
        raise MultipartUpload("send the file as the raw request body, not as a multipart form")
    raw = request.headers.get("content-length")
    if raw is None or not ascii_digits(raw):
        raise LengthRequired("an evidence file is sent with its Content-Length")
    declared = whole_number(raw)  # None: longer than any 64-bit size, so over any limit
    if declared is None or declared > limits.evidence_file_bytes_max:
        shown = raw if declared is not None else raw[:DIGITS_MAX] + "..."
        raise EvidenceTooLarge(
            f"an evidence file is at most {limits.evidence_file_bytes_max} bytes; this one is "
            f"{shown}"
        )
    body = await request.body()
    if len(body) != declared:
        raise InvalidEvidence(f"received {len(body)} of {raw} bytes; send the file again")
    return body


@router.post(
    UPLOAD_PATH,
    status_code=201,
    summary="Submit a file as evidence, as the raw request body (the dispute's parties)",
    # Counted before the body is read: a flood of uploads costs no more than its headers.
    dependencies=[Depends(per_account(lambda rules: rules.evidence_upload))],
)
@idempotent
def submit_file(
    *,
    dispute_id: DisputeId,
    content: Annotated[bytes, Depends(evidence_body)],
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
    title: Annotated[str, Query(min_length=1, max_length=limits.evidence_title_chars_max)],
    media_type: Annotated[str, Query(max_length=255)] = "application/octet-stream",
    signature: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{130}$")] = None,
    submitted_at: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
) -> EvidencePublic:
    """Stored encrypted, hashed (SHA-256 of the bytes), signed (EIP-712 ``Evidence``: with the
    custodial key, or send ``signature`` and the ``submitted_at`` you signed) and journaled as
    ``evidence.submitted``. 409 ``evidence_closed`` after the deadline; 413 over
    ``evidence_file_bytes_max``; the respondent's first item holds its arbitration fee (409
    ``insufficient_funds`` stores nothing); 429 beyond ``evidence_uploads_per_account_max`` per
    ``evidence_upload_window_s``. Takes an ``Idempotency-Key``."""
    if not _MEDIA_TYPE.match(media_type):
        raise InvalidEvidence(f"{media_type!r} is not a media type such as 'application/pdf'")
    item = service.Submission(
        kind=service.FILE, content=content, title=title, media_type=media_type,
        signature=signature, submitted_at=submitted_at,
    )  # fmt: skip
    return _submit(
        dispute_id, item, principal=principal, session=session, runtime=runtime, store=store
    )


@router.post(
    "/disputes/{dispute_id}/evidence",
    status_code=201,
    summary="Submit a written statement as evidence (the dispute's parties)",
)
@idempotent
def submit_statement(
    *,
    dispute_id: DisputeId,
    body: StatementCreate,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
) -> EvidencePublic:
    """As a file (``POST /upload/disputes/{id}/evidence``), with the statement's UTF-8 bytes.
    Takes an ``Idempotency-Key``."""
    item = service.Submission(
        kind=service.STATEMENT, content=body.text.encode(), title=body.title,
        media_type=service.STATEMENT_MEDIA_TYPE, signature=body.signature,
        submitted_at=body.submitted_at,
    )  # fmt: skip
    return _submit(
        dispute_id, item, principal=principal, session=session, runtime=runtime, store=store
    )


def _submit(
    dispute_id: int,
    item: service.Submission,
    *,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
) -> EvidencePublic:
    ctx = signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)
    return service.submit(
        session,
        runtime.settings,
        store,
        principal,
        dispute_id=dispute_id,
        item=item,
        ctx=ctx,
        now=utc_now(),
    )


@router.get("/disputes/{dispute_id}/evidence", summary="Every item of evidence, oldest first")
def list_evidence(
    dispute_id: DisputeId, principal: CurrentAccount, session: SessionDep
) -> EvidenceList:
    """The parties' items and the exchange's records, for the parties, the drawn arbitrators
    and operators (evidence is open to both parties as it is submitted)."""
    return service.list_evidence(session, principal, dispute_id)


@router.get("/disputes/{dispute_id}/evidence/{evidence_id}", summary="One item's metadata")
def get_evidence(
    dispute_id: DisputeId, evidence_id: EvidenceId, principal: CurrentAccount, session: SessionDep
) -> EvidencePublic:
    return service.get_evidence(session, principal, dispute_id, evidence_id)


@router.get(
    "/disputes/{dispute_id}/evidence/{evidence_id}/file",
    summary="One item's bytes, decrypted and checked against its SHA-256",
    response_class=Response,
)
def evidence_file(
    *,
    dispute_id: DisputeId,
    evidence_id: EvidenceId,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
) -> Response:
    """For the parties and the drawn arbitrators (404 for anyone else). A system record's bytes
    are its journal entry's RFC 8785 JSON (its receipt's ``entry``)."""
    row, content = service.read_file(
        session, runtime.settings, store, principal, dispute_id=dispute_id, evidence_id=evidence_id
    )
    headers = {
        **DOWNLOAD_HEADERS,
        "Content-Disposition": f'attachment; filename="evidence-{dispute_id}-{evidence_id}"',
        "X-Content-SHA256": row.sha256,
    }
    return Response(content, media_type=row.media_type, headers=headers)
