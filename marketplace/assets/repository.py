"""All SQL for assets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, func, or_, select
from sqlmodel import Session, col

from marketplace.assets.models import (
    Asset,
    AssetObjection,
    AssetRegistration,
    AssetReview,
    AssetRevision,
    ObjectionStatus,
    RegistrationType,
)
from marketplace.db import kept, loaded

CERTIFIED_TYPES = (
    RegistrationType.initial.value,
    RegistrationType.change.value,
    RegistrationType.transfer.value,
)


def asset(session: Session, asset_id: int) -> Asset | None:
    return session.get(Asset, asset_id)


def share_lock_asset(session: Session, asset_id: int) -> Asset | None:
    """The asset row, share-locked until the transaction ends (PostgreSQL ``FOR SHARE``;
    SQLite's BEGIN IMMEDIATE already holds the database) and held (``db.kept``)."""
    return loaded(session, Asset, _SHARE_LOCK_ASSET, {"asset_id": asset_id})


_ASSET = cast(Table, Asset.__table__)  # type: ignore[attr-defined]
_SHARE_LOCK_ASSET = (
    select(_ASSET).where(_ASSET.c.id == bindparam("asset_id")).with_for_update(read=True)
)


def lock_asset(session: Session, asset_id: int) -> Asset | None:
    """The asset row, locked for update (PostgreSQL; SQLite's BEGIN IMMEDIATE already is)."""
    return session.execute(
        select(Asset)
        .where(col(Asset.id) == asset_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)  # fresh, though the session holds it
    ).scalar_one_or_none()


def assets_by_ids(session: Session, asset_ids: Sequence[int]) -> dict[int, Asset]:
    if not asset_ids:
        return {}
    if len(wanted := set(asset_ids)) == 1:  # one asset (a listing's, an order's): held
        (only,) = wanted
        found = kept(session, session.get(Asset, only))
        return {} if found is None else {only: found}
    rows = session.execute(select(Asset).where(col(Asset.id).in_(list(set(asset_ids))))).scalars()
    return {row.id: row for row in rows if row.id is not None}


def asset_ids_with_theme(
    session: Session, theme: str, statuses: Sequence[str], exclude_id: int, limit: int
) -> list[int]:
    """Ids of assets of ``theme`` in ``statuses``, newest first, other than ``exclude_id``."""
    query = (
        select(col(Asset.id))
        .where(col(Asset.theme) == theme, col(Asset.status).in_(list(statuses)))
        .where(col(Asset.id) != exclude_id)
        .order_by(col(Asset.id).desc())
        .limit(limit)
    )
    return [int(i) for i in session.execute(query).scalars()]


def add(session: Session, row: Any) -> None:
    session.add(row)
    session.flush()


def revision(session: Session, asset_id: int, number: int) -> AssetRevision | None:
    return session.execute(
        select(AssetRevision).where(
            col(AssetRevision.asset_id) == asset_id,
            col(AssetRevision.number) == number,
        )
    ).scalar_one_or_none()


def revisions(
    session: Session, asset_id: int, *, limit: int | None = None, offset: int = 0
) -> Sequence[AssetRevision]:
    return (
        session.execute(
            select(AssetRevision)
            .where(col(AssetRevision.asset_id) == asset_id)
            .order_by(col(AssetRevision.number))
            .limit(limit)
            .offset(offset)
        )
        .scalars()
        .all()
    )


def reviews(
    session: Session, asset_id: int, *, limit: int | None = None, offset: int = 0
) -> Sequence[AssetReview]:
    return (
        session.execute(
            select(AssetReview)
            .where(col(AssetReview.asset_id) == asset_id)
            .order_by(col(AssetReview.id))
            .limit(limit)
            .offset(offset)
        )
        .scalars()
        .all()
    )


def registrations(
    session: Session, asset_id: int, *, limit: int | None = None, offset: int = 0
) -> Sequence[AssetRegistration]:
    return (
        session.execute(
            select(AssetRegistration)
            .where(col(AssetRegistration.asset_id) == asset_id)
            .order_by(col(AssetRegistration.journal_seq))
            .limit(limit)
            .offset(offset)
        )
        .scalars()
        .all()
    )


def latest_certificate(session: Session, asset_id: int) -> AssetRegistration | None:
    return (
        session.execute(
            select(AssetRegistration)
            .where(
                col(AssetRegistration.asset_id) == asset_id,
                col(AssetRegistration.registration_type).in_(CERTIFIED_TYPES),
            )
            .order_by(col(AssetRegistration.journal_seq).desc())
            .limit(1)
        )
        .scalars()
        .first()
    )


def lock_objection(session: Session, objection_id: int) -> AssetObjection | None:
    return session.execute(
        select(AssetObjection)
        .where(col(AssetObjection.id) == objection_id)
        .with_for_update(key_share=True)
    ).scalar_one_or_none()


def objection(session: Session, objection_id: int) -> AssetObjection | None:
    return session.get(AssetObjection, objection_id)


def has_open_objection(session: Session, asset_id: int, organization_id: int) -> bool:
    return (
        session.execute(
            select(col(AssetObjection.id)).where(
                col(AssetObjection.asset_id) == asset_id,
                col(AssetObjection.organization_id) == organization_id,
                col(AssetObjection.status).in_(
                    [ObjectionStatus.open.value, ObjectionStatus.escalated.value]
                ),
            )
        ).first()
        is not None
    )


def objection_page(
    session: Session,
    *,
    involving_organization_id: int | None,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[list[AssetObjection], int]:
    """Objections newest first: those an organisation filed or that concern its assets, or all
    of them (``involving_organization_id=None``, operators)."""
    query = select(AssetObjection)
    if involving_organization_id is not None:
        owned = select(col(Asset.id)).where(
            col(Asset.owner_organization_id) == involving_organization_id
        )
        query = query.where(
            or_(
                col(AssetObjection.organization_id) == involving_organization_id,
                col(AssetObjection.asset_id).in_(owned),
            )
        )
    if status is not None:
        query = query.where(col(AssetObjection.status) == status)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = (
        session.execute(query.order_by(col(AssetObjection.id).desc()).offset(offset).limit(limit))
        .scalars()
        .all()
    )
    return list(rows), int(total)


def objections(
    session: Session, asset_id: int, *, limit: int | None = None, offset: int = 0
) -> Sequence[AssetObjection]:
    return (
        session.execute(
            select(AssetObjection)
            .where(col(AssetObjection.asset_id) == asset_id)
            .order_by(col(AssetObjection.id))
            .limit(limit)
            .offset(offset)
        )
        .scalars()
        .all()
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(
    session: Session,
    *,
    visible_statuses: Sequence[str] | None,
    own_organization_id: int | None,
    owner_organization_id: int | None,
    status: str | None,
    theme: str | None,
    keyword: str | None,
    offset: int,
    limit: int,
) -> tuple[list[Asset], int]:
    """Assets matching the filters. The public sees ``visible_statuses``; an organisation also
    sees every asset it owns; ``visible_statuses=None`` means everything (operators)."""
    query = select(Asset)
    if visible_statuses is not None:
        visible: ColumnElement[bool] = col(Asset.status).in_(list(visible_statuses))
        if own_organization_id is not None:
            visible = or_(visible, col(Asset.owner_organization_id) == own_organization_id)
        query = query.where(visible)
    if owner_organization_id is not None:
        query = query.where(col(Asset.owner_organization_id) == owner_organization_id)
    if status is not None:
        query = query.where(col(Asset.status) == status)
    if theme is not None:
        query = query.where(col(Asset.theme) == theme)
    if keyword:
        for word in keyword.lower().split():
            query = query.where(col(Asset.search_text).like(f"%{_escape_like(word)}%", escape="\\"))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = (
        session.execute(query.order_by(col(Asset.id).desc()).offset(offset).limit(limit))
        .scalars()
        .all()
    )
    return list(rows), int(total)


def delete_asset(session: Session, asset: Asset) -> None:
    """Delete the asset row and its revision rows (a never-submitted draft has nothing else)."""
    for row in revisions(session, asset.id or 0):
        session.delete(row)
    session.flush()
    session.delete(asset)
    session.flush()


def revision_blob_keys(session: Session) -> set[str]:
    """The blob of every uploaded revision (the blob sweeper keeps these)."""
    query = select(col(AssetRevision.blob_key)).where(col(AssetRevision.blob_key).is_not(None))
    return {str(key) for key in session.execute(query).scalars()}
