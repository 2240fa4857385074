"""Reads of revisions by their number, for callers that have decided visibility already: the
catalog page (the public's newest visible revision, one row per listed asset) and the quality
job (which runs after the request that asked for it was checked)."""

from __future__ import annotations

from sqlmodel import Session

from marketplace.assets import repository
from marketplace.assets.models import AssetRevision


def stored_revision(session: Session, asset_id: int, number: int) -> AssetRevision | None:
    """The revision row, or None; no visibility check (the caller made it)."""
    return repository.revision(session, asset_id, number)


def revision_size_bytes(session: Session, asset_id: int, number: int) -> int | None:
    """The size of the revision's content (None for an external source or no such revision)."""
    revision = repository.revision(session, asset_id, number)
    return None if revision is None else revision.size_bytes
