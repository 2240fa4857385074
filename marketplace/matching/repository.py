"""All SQL for demands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from marketplace.matching.demand_lifecycle import DemandStatus
from marketplace.matching.models import Demand, ListingProfile


def add(session: Session, demand: Demand) -> Demand:
    session.add(demand)
    session.flush()
    return demand


def get(session: Session, demand_id: int) -> Demand | None:
    return session.get(Demand, demand_id)


def lock(session: Session, demand_id: int) -> Demand | None:
    """The demand, its row locked until the transaction ends (PostgreSQL; SQLite's writers are
    serialised already)."""
    query = select(Demand).where(Demand.id == demand_id).with_for_update(key_share=True)
    return session.exec(query).first()


def share_lock(session: Session, demand_id: int) -> Demand | None:
    """The demand, read fresh and share-locked until the transaction ends (PostgreSQL ``FOR
    SHARE``; SQLite's BEGIN IMMEDIATE already holds the database): a close, fulfilment or expiry
    (each locks the row for update) waits for the transaction, and it waits for theirs."""
    query = (
        select(Demand)
        .where(Demand.id == demand_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    return session.exec(query).first()


def of_organization(
    session: Session, organization_id: int, *, before_id: int | None, limit: int
) -> Sequence[Demand]:
    """The organisation's demands, newest first."""
    query = select(Demand).where(Demand.buyer_organization_id == organization_id)
    if before_id is not None:
        query = query.where(col(Demand.id) < before_id)
    return session.exec(query.order_by(col(Demand.id).desc()).limit(limit)).all()


def open_demands(
    session: Session, now: datetime, *, before_id: int | None, limit: int
) -> Sequence[Demand]:
    """Open demands whose deadline is still ahead, newest first."""
    query = select(Demand).where(Demand.status == DemandStatus.open, col(Demand.deadline) > now)
    if before_id is not None:
        query = query.where(col(Demand.id) < before_id)
    return session.exec(query.order_by(col(Demand.id).desc()).limit(limit)).all()


def due(session: Session, now: datetime, limit: int) -> Sequence[Demand]:
    """Open demands whose deadline has passed, oldest deadline first, locked."""
    query = (
        select(Demand)
        .where(Demand.status == DemandStatus.open, col(Demand.deadline) <= now)
        .order_by(col(Demand.deadline), col(Demand.id))
        .limit(limit)
        .with_for_update(key_share=True)
    )
    return session.exec(query).all()


def save(session: Session, demand: Demand) -> None:
    session.add(demand)
    session.flush()


class ProfileRow(NamedTuple):
    """A listing profile's values, read without loading a table object (scoring reads
    hundreds per request)."""

    listing_id: int
    supplier_organization_id: int
    headline_minor: int | None
    purposes: list[str]
    columns: list[dict[str, Any]]
    quality_score: float | None


def profiles(session: Session, listing_ids: Sequence[int]) -> dict[int, ProfileRow]:
    if not listing_ids:
        return {}
    p = ListingProfile
    query = sa.select(
        col(p.listing_id),
        col(p.supplier_organization_id),
        col(p.headline_minor),
        col(p.purposes),
        col(p.columns),
        col(p.quality_score),
    ).where(col(p.listing_id).in_(listing_ids))
    return {row[0]: ProfileRow(*row) for row in session.execute(query).all()}


def put_profile(session: Session, profile: ListingProfile) -> None:
    session.merge(profile)
    session.flush()
