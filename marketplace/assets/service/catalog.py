"""Reads of revisions by their number, for callers that have decided visibility already: the
catalog page (the public's newest visible revision, one row per listed asset) and the quality
job (which runs after the request that asked for it was checked)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from marketplace.assets import repository, visibility
from marketplace.assets.models import Asset, AssetRevision


def stored_revision(session: Session, asset_id: int, number: int) -> AssetRevision | None:
    """The revision row, or None; no visibility check (the caller made it)."""
    return repository.revision(session, asset_id, number)


def revision_size_bytes(session: Session, asset_id: int, number: int) -> int | None:
    """The size of the revision's content (None for an external source or no such revision)."""
    revision = repository.revision(session, asset_id, number)
    return None if revision is None else revision.size_bytes


def assets_by_ids(session: Session, asset_ids: Sequence[int]) -> dict[int, Asset]:
    """The asset rows by id (missing ids are absent); no visibility check: the caller shows only
    what it may (a listing is shown with its asset's public facts)."""
    return repository.assets_by_ids(session, asset_ids)


def share_lock(session: Session, asset_id: int) -> None:
    """Share-lock the asset row until the transaction ends, for a sale of it: its delisting or
    suspension (which lock it for update) waits for the sale to commit, and a sale that waited
    for them reads what they committed. ``assets_by_ids`` then finds the fresh row."""
    repository.share_lock_asset(session, asset_id)


def public_asset_ids_with_theme(
    session: Session, theme: str, exclude_id: int, limit: int
) -> list[int]:
    """Listed assets of ``theme`` other than ``exclude_id``, newest first (comparables)."""
    return repository.asset_ids_with_theme(
        session, theme, visibility.PUBLIC_STATUSES, exclude_id, limit
    )
