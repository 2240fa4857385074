"""Path parameters and dependencies shared by the asset routes, and the API view of a revision."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path
from sqlmodel import Session

from ledger.errors import NotAnchored
from ledger.receipts import build_receipt
from marketplace import limits
from marketplace.assets import service
from marketplace.assets.schemas import RevisionPublic
from marketplace.deps import RuntimeDep
from marketplace.paging import ID_DIGITS
from marketplace.quality.table_schema import within_bounds

AssetId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="asset id")]
RevisionNo = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="revision number")]

ObjectionId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="objection id")]


def get_signing_context(runtime: RuntimeDep) -> service.SigningContext:
    return service.signing_context(runtime.settings, runtime.chain_id, runtime.contract_address)


SigningDep = Annotated[service.SigningContext, Depends(get_signing_context)]


def receipt_or_none(session: Session, seq: int) -> dict[str, Any] | None:
    try:
        return build_receipt(session, seq)
    except NotAnchored:
        return None


def revision_public(revision: Any) -> RevisionPublic:
    public = RevisionPublic.model_validate(revision, from_attributes=True)
    if public.table_schema is not None and not within_bounds(public.table_schema):
        # Stored before depth and size were bounded: withheld (it could not be serialised),
        # its schema_hash stands for it.
        public = public.model_copy(update={"table_schema": None})
    return public
