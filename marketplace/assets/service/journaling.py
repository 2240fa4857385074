"""How an asset's changes are journaled: one entry per change in the same transaction, and a
registration row that indexes each journaled registration by asset."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlmodel import Session

from ledger import journal
from ledger.canonical import canonical_json
from ledger.models import JournalEntry
from marketplace.assets import repository
from marketplace.assets.models import Asset, AssetRegistration, AssetStatus, RegistrationType
from marketplace.assets.schemas import AssetCreate
from marketplace.search import service as search


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def subject(asset_id: int) -> str:
    return f"asset:{asset_id}"


def journal_asset(
    session: Session,
    kind: str,
    asset: Asset,
    actor: str,
    signature: str | None = None,
    **payload: Any,
) -> JournalEntry:
    assert asset.id is not None
    return journal.append(
        session,
        kind=kind,
        subject=subject(asset.id),
        actor=actor,
        payload={"asset_id": asset.id, **payload},
        signature=signature,
    )


def register(
    session: Session,
    asset: Asset,
    registration_type: RegistrationType,
    entry: JournalEntry,
    *,
    revision: int | None,
    holder: str,
    now: datetime,
) -> None:
    """The registration row that indexes a journaled registration (certificate, objection,
    cancellation) by asset."""
    assert asset.id is not None
    repository.add(
        session,
        AssetRegistration(
            asset_id=asset.id,
            registration_type=registration_type,
            revision=revision,
            journal_seq=entry.seq,
            holder_address=holder,
            created_at=now,
        ),
    )


def metadata(asset: Asset) -> dict[str, Any]:
    return AssetCreate.model_validate(asset, from_attributes=True).model_dump(mode="json")


def metadata_sha256(asset: Asset) -> str:
    return hashlib.sha256(canonical_json(metadata(asset))).hexdigest()


def touch(session: Session, asset: Asset, now: datetime) -> None:
    """Record a change of the asset: its time, and its state as the search index shows it."""
    asset.updated_at = now
    session.add(asset)
    search_state(session, asset)


def search_state(session: Session, asset: Asset) -> None:
    """Tell the catalog search index whether the asset's listings may be found (the asset is
    listed) and whether they carry the objection flag (an open objection, or a suspension).
    The index rows are written under the journal head, which is locked first: a listing's
    change writes them after its own entry, so writing them before the head waited in a cycle
    with it (docs/architecture.md, "Lock order")."""
    assert asset.id is not None
    journal.lock_head(session)
    search.set_asset_state(
        session,
        asset.id,
        visible=asset.status == AssetStatus.listed,
        under_objection=asset.open_objections > 0 or asset.status == AssetStatus.suspended,
    )
