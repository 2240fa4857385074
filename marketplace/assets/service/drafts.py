"""Deleting a draft that was never submitted."""

from __future__ import annotations

from sqlmodel import Session

from marketplace.assets import lifecycle, repository
from marketplace.assets.errors import AssetStateConflict
from marketplace.assets.lifecycle import AssetEvent
from marketplace.assets.models import Asset
from marketplace.assets.schemas import AssetDeleted
from marketplace.assets.service.access import owned_asset
from marketplace.assets.service.journaling import journal_asset, metadata_sha256
from marketplace.principal import Principal


def deletable_draft(session: Session, principal: Principal, asset_id: int) -> Asset:
    """The caller's own draft, locked, if it was never submitted: no submission, review,
    registration or objection. Anything else is a 409 naming its state."""
    asset = owned_asset(session, principal, asset_id)
    lifecycle.require(asset, AssetEvent.delete)
    if (
        asset.submitted_by is not None
        or asset.certified_revision is not None
        or repository.reviews(session, asset_id)
        or repository.registrations(session, asset_id)
        or repository.objections(session, asset_id)
    ):
        raise AssetStateConflict(
            f"cannot delete asset {asset_id}: it is a draft again after being submitted or "
            "registered, and its history stays; cancel the registration instead"
        )
    return asset


def delete_draft(
    session: Session, principal: Principal, asset: Asset
) -> tuple[AssetDeleted, list[str]]:
    """Delete a draft checked by ``deletable_draft`` (its other domains' rows already gone) and
    journal it; returns what was deleted and the blob keys the caller removes after commit. The
    journal keeps the draft's earlier entries (each revision's content hash among them)."""
    assert asset.id is not None
    transition = lifecycle.apply(asset, AssetEvent.delete)
    rows = list(repository.revisions(session, asset.id))
    entry = journal_asset(
        session,
        transition.kind,
        asset,
        principal.address,
        metadata_sha256=metadata_sha256(asset),
        revisions_deleted=len(rows),
    )
    repository.delete_asset(session, asset)
    keys = [r.blob_key for r in rows if r.blob_key is not None]
    return AssetDeleted(asset_id=asset.id, revisions_deleted=len(rows), journal_seq=entry.seq), keys
