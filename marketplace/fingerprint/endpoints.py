"""Fingerprint HTTP endpoints: name the licence a leaked copy of an asset came from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from marketplace import limits
from marketplace.deps import SessionDep, SettingsDep
from marketplace.fingerprint import service
from marketplace.fingerprint.schemas import FingerprintDetection
from marketplace.identity.auth import CurrentAccount
from marketplace.paging import ID_DIGITS

router = APIRouter(tags=["fingerprint"])
AssetId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="asset id")]


@router.post(
    "/assets/{asset_id}/fingerprint-detections",
    status_code=201,
    summary="Name the licence a copy of the asset came from (owner, operators, arbitrators)",
)
def detect(
    asset_id: AssetId,
    principal: CurrentAccount,
    session: SessionDep,
    settings: SettingsDep,
    content: Annotated[bytes, Body(media_type="text/csv")],
) -> FingerprintDetection:
    """The body is the copy's bytes (CSV; at most the request body limit, 1 MiB by default: send
    any part of a larger file, since rows are read independently). Answers the licence whose
    fingerprint the copy carries, with its p-value, or no licence; records the answer and the
    copy's SHA-256 in the journal (``fingerprint.detected``)."""
    return service.detect_copy(session, settings, principal, asset_id, content)
