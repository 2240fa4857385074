"""The public transparency log over HTTP: the journal (paged, filtered), its batches, receipts
and the trust anchor that auditors pin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ledger import limits as ledger_limits
from marketplace import limits
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.http import ERROR_RESPONSES, ErrorBody
from marketplace.paging import ID_DIGITS
from marketplace.transparency import service
from marketplace.transparency.schemas import BatchPage, EntryPage, Receipt, TrustAnchorPublic

router = APIRouter(prefix="/ledger", tags=["ledger"])
well_known_router = APIRouter(tags=["ledger"])

Limit = Annotated[int, Query(ge=1, le=limits.page_size_max, description="page size")]


@router.get("/entries", summary="Journal entries, oldest first")
def list_entries(
    session: SessionDep,
    limit: Limit = limits.page_size_default,
    after_seq: Annotated[int, Query(ge=0, le=limits.id_max)] = 0,
    kind: Annotated[str | None, Query(max_length=ledger_limits.journal_kind_length_max)] = None,
    subject: Annotated[
        str | None, Query(max_length=ledger_limits.journal_subject_length_max)
    ] = None,
) -> EntryPage:
    """Entries with seq greater than ``after_seq``, optionally only one ``kind`` or
    ``subject``. Follow ``next_after_seq`` for the next page."""
    return service.list_entries(
        session, after_seq=after_seq, limit=limit, kind=kind, subject=subject
    )


@router.get("/batches", summary="Anchor batches, oldest first")
def list_batches(
    session: SessionDep,
    limit: Limit = limits.page_size_default,
    after_id: Annotated[int, Query(ge=0, le=limits.id_max)] = 0,
) -> BatchPage:
    """Each batch's seq range, Merkle root, status (pending, sent, confirmed) and anchor tx."""
    return service.list_batches(session, after_id=after_id, limit=limit)


@router.get(
    "/entries/{seq}/receipt",
    summary="Receipt of one entry",
    responses={
        404: {**ERROR_RESPONSES[404], "description": "no such entry"},
        409: {**ERROR_RESPONSES[409], "description": "not anchored yet"},
    },
)
def receipt(
    session: SessionDep, seq: Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max)]
) -> Receipt:
    """The entry, its inclusion proof, its batch's root and the anchor transaction: verify it
    with ``bourse verify receipt.json --chain URL``, without this exchange."""
    return Receipt.model_validate(service.receipt(session, seq))


@well_known_router.get(
    "/.well-known/databourse.json",
    summary="The exchange's trust anchor",
    responses={503: {"model": ErrorBody, "description": "the chain cannot be read"}},
)
def trust_anchor(runtime: RuntimeDep) -> TrustAnchorPublic:
    """Chain id, LedgerAnchor contract, the contract's deployment transaction and block, and
    the recorder address. Save it once (``bourse ledger trust save --from URL``): verifiers then
    refuse receipts and batches that name any other contract."""
    return service.published_trust_anchor(runtime)
