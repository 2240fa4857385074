"""All SQL for demands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

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
    query = select(Demand).where(Demand.id == demand_id).with_for_update()
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
        .with_for_update()
    )
    return session.exec(query).all()


def save(session: Session, demand: Demand) -> None:
    session.add(demand)
    session.flush()


def profiles(session: Session, listing_ids: Sequence[int]) -> dict[int, ListingProfile]:
    if not listing_ids:
        return {}
    query = select(ListingProfile).where(col(ListingProfile.listing_id).in_(listing_ids))
    return {p.listing_id: p for p in session.exec(query).all()}


def put_profile(session: Session, profile: ListingProfile) -> None:
    session.merge(profile)
    session.flush()
