"""Escalating an ownership objection to arbitration (docs/disputes.md, "Ownership
objections"); the dispute it opens then goes through the case's, the evidence's and the dossier's
routes as an order's does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from ledger.models import utc_now
from marketplace import limits
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.disputes.schemas import DisputeView, ObjectionEscalation
from marketplace.disputes.service import objections
from marketplace.idempotency import idempotent
from marketplace.identity.auth import CurrentAccount
from marketplace.paging import ID_DIGITS

router = APIRouter(tags=["disputes"])

AssetId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="asset id")]
ObjectionId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="objection id")]


@router.post(
    "/assets/{asset_id}/objections/{objection_id}/escalate",
    status_code=201,
    summary="Escalate an objection to arbitration (the objector or the asset's owner)",
)
@idempotent
def escalate_objection(
    *,
    asset_id: AssetId,
    objection_id: ObjectionId,
    body: ObjectionEscalation,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> DisputeView:
    """Opens a dispute on the objection (no escrow: the opener's arbitration fee is held),
    moves the objection to ``escalated`` (``asset.objection_escalated``), writes
    ``dispute.opened`` and draws the arbitrator. 404 to anyone but the two sides; 409
    ``dispute_exists``, ``objection_state`` (decided already), ``insufficient_funds``,
    ``no_arbitrator``."""
    return objections.escalate(
        session, runtime.settings, principal, asset_id, objection_id, statement=body.statement,
        now=utc_now(),
    )  # fmt: skip
