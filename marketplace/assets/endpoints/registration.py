"""Routes that register an asset and change, show, search or delete it."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets import dcat, service
from marketplace.assets.endpoints.params import AssetId
from marketplace.assets.models import AssetStatus
from marketplace.assets.schemas import (
    AssetCreate,
    AssetDeleted,
    AssetPage,
    AssetPublic,
    AssetUpdate,
)
from marketplace.deps import BlobStoreDep, RuntimeDep, SessionDep
from marketplace.identity.auth import CurrentAccount, OptionalAccount, VerifiedSupplier
from marketplace.listings import service as listings_service
from marketplace.listings.schemas import AssetWithListings
from marketplace.quality import service as quality_service
from marketplace.valuation import service as valuation_service

log = logging.getLogger("databourse.assets")
router = APIRouter()


@router.post("/assets", status_code=201, summary="Register a data asset (verified suppliers)")
def create_asset(
    body: AssetCreate, principal: VerifiedSupplier, session: SessionDep
) -> AssetPublic:
    """Creates a draft with its DCAT metadata and compliance facts; add content next."""
    return service.asset_public(service.create_asset(session, principal, body, utc_now()))


@router.get("/assets", summary="Search assets (public: listed only; owners also their own)")
def search_assets(
    *,
    session: SessionDep,
    principal: OptionalAccount,
    owner: Annotated[int | None, Query(ge=1, le=limits.id_max, description="owner org id")] = None,
    status: AssetStatus | None = None,
    theme: Annotated[str | None, Query(max_length=200)] = None,
    q: Annotated[str | None, Query(max_length=200, description="keywords")] = None,
    limit: Annotated[int, Query(ge=1, le=limits.page_size_max)] = limits.page_size_default,
    offset: Annotated[int, Query(ge=0, le=limits.id_max)] = 0,
) -> AssetPage:
    return service.search(
        session,
        principal,
        owner=owner,
        status=status,
        theme=theme,
        keyword=q,
        offset=offset,
        limit=limit,
    )


@router.get("/assets/{asset_id}", summary="One asset, with its active listings' prices and terms")
def get_asset(
    asset_id: AssetId, session: SessionDep, principal: OptionalAccount
) -> AssetWithListings:
    asset = service.asset_public_for(principal, service.visible_asset(session, principal, asset_id))
    return AssetWithListings.model_validate(
        {**dict(asset), "listings": listings_service.for_asset(session, asset_id)}
    )


@router.patch(
    "/assets/{asset_id}", summary="Change metadata (owner); a registered asset returns to draft"
)
def update_asset(
    asset_id: AssetId, body: AssetUpdate, principal: VerifiedSupplier, session: SessionDep
) -> AssetPublic:
    return service.asset_public(
        service.update_metadata(session, principal, asset_id, body, utc_now())
    )


@router.delete("/assets/{asset_id}", summary="Delete a draft that was never submitted (owner)")
def delete_draft(
    asset_id: AssetId, principal: CurrentAccount, session: SessionDep, store: BlobStoreDep
) -> AssetDeleted:
    """Deletes the draft, its revisions, their quality evaluations and stored blobs, and
    journals ``asset.deleted``. Another organisation's draft is a 404 (it is invisible to
    them); a draft ever submitted, or an asset in any other state, is a 409 naming it."""
    asset = service.deletable_draft(session, principal, asset_id)
    valuation_service.check_none_before_deletion(session, asset_id)
    quality_service.delete_for_draft(session, asset_id)
    deleted, blob_keys = service.delete_draft(session, principal, asset)
    session.commit()  # the blobs go only once the rows are gone for good
    for key in blob_keys:
        try:
            store.delete(key)
        except OSError:  # the row is gone; an orphan blob is unreadable without its wrapped key
            log.warning("could not delete blob %s of deleted asset %s", key, asset_id)
    return deleted


@router.get("/assets/{asset_id}/dcat", summary="The asset as DCAT 3 JSON-LD")
def get_dcat(
    asset_id: AssetId, session: SessionDep, principal: OptionalAccount, runtime: RuntimeDep
) -> dict[str, Any]:
    asset = service.visible_asset(session, principal, asset_id)
    revisions = service.list_revisions(session, principal, asset_id)
    return dcat.to_dcat(asset, revisions, runtime.settings.public_url)
