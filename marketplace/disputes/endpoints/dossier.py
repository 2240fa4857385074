"""The dispute dossier over HTTP: the console (``GET /disputes/{id}/record``, every record
checked live) and the export (``GET /disputes/{id}/dossier``, a zip for ``bourse verify``). The
parties, the drawn arbitrators and operators only; 404 to anyone else."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from marketplace import limits
from marketplace.deps import BlobStoreDep, RuntimeDep, SessionDep
from marketplace.disputes.dossier_schemas import DossierView
from marketplace.disputes.service import dossier
from marketplace.identity.auth import CurrentAccount
from marketplace.paging import ID_DIGITS

router = APIRouter(tags=["disputes"])

DisputeId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="dispute id")]


@router.get(
    "/disputes/{dispute_id}/record",
    summary="The dispute's record, each item checked live (its parties and drawn arbitrators)",
)
def dispute_record(
    dispute_id: DisputeId,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
) -> DossierView:
    return dossier.dossier_view(session, runtime.settings, store, principal, dispute_id)


@router.get(
    "/disputes/{dispute_id}/dossier",
    summary="The dispute's dossier as a zip, for `bourse verify` (its parties and drawn "
    "arbitrators)",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "The dossier zip."}},
)
def dispute_dossier(
    dispute_id: DisputeId,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
) -> Response:
    content = dossier.dossier_zip(
        session,
        runtime.settings,
        store,
        principal,
        dispute_id,
        chain_id=runtime.chain_id,
        contract=runtime.contract_address,
    )
    return Response(
        content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="dispute-{dispute_id}-dossier.zip"'},
    )
