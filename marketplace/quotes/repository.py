"""All SQL for quotes. Row locks (``FOR NO KEY UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
already serialises writers) re-read the row, so a lock taken after a plain read sees the
committed state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.quotes.models import Quote, QuoteStatus


def add(session: Session, quote: Quote) -> Quote:
    session.add(quote)
    session.flush()
    return quote


def save(session: Session, quote: Quote) -> bool:
    """Write the quote's changes now; False when the one-accepted-quote-per-demand index refuses
    them (another acceptance of the demand committed first). The caller then raises, which
    rolls the whole unit of work back."""
    session.add(quote)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        return False
    return True


def get(session: Session, quote_id: int) -> Quote | None:
    return session.get(Quote, quote_id)


def lock(session: Session, quote_id: int) -> Quote | None:
    return session.execute(
        select(Quote)
        .where(col(Quote.id) == quote_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def lock_lapsed(session: Session, quote_ids: Sequence[int], now: datetime) -> Sequence[Quote]:
    """Those of ``quote_ids`` still offered whose validity has ended, locked, in id order."""
    if not quote_ids:
        return []
    query = (
        select(Quote)
        .where(col(Quote.id).in_(quote_ids))
        .where(col(Quote.status) == QuoteStatus.offered)
        .where(col(Quote.valid_until) <= now)
        .order_by(col(Quote.id))
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return session.execute(query).scalars().all()


def lock_offered_of_demand(session: Session, demand_id: int) -> Sequence[Quote]:
    """The demand's quotes still offered, locked, in id order (one order for every locker)."""
    query = (
        select(Quote)
        .where(col(Quote.demand_id) == demand_id)
        .where(col(Quote.status) == QuoteStatus.offered)
        .order_by(col(Quote.id))
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return session.execute(query).scalars().all()


def accepted_of_demand(session: Session, demand_id: int) -> Quote | None:
    query = (
        select(Quote)
        .where(col(Quote.demand_id) == demand_id)
        .where(col(Quote.status) == QuoteStatus.accepted)
    )
    return session.exec(query).first()


def count_by_supplier(session: Session, demand_id: int, organization_id: int) -> int:
    query = (
        select(func.count())
        .select_from(Quote)
        .where(col(Quote.demand_id) == demand_id)
        .where(col(Quote.supplier_organization_id) == organization_id)
    )
    return int(session.exec(query).one())


def page_of_demand(
    session: Session,
    demand_id: int,
    *,
    supplier_organization_id: int | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Quote], int]:
    """A page of the demand's quotes (newest first) and how many there are in all; only one
    supplier's when ``supplier_organization_id`` is given."""
    where = [col(Quote.demand_id) == demand_id]
    if supplier_organization_id is not None:
        where.append(col(Quote.supplier_organization_id) == supplier_organization_id)
    total = int(session.exec(select(func.count()).select_from(Quote).where(*where)).one())
    rows = session.exec(
        select(Quote).where(*where).order_by(col(Quote.id).desc()).offset(offset).limit(limit)
    ).all()
    return rows, total
