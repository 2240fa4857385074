"""All SQL for orders."""

from __future__ import annotations

import functools
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from ledger.models import JournalEntry
from marketplace.db import insert_row_unless_taken, kept
from marketplace.orders.lifecycle import OrderStatus
from marketplace.orders.models import Order, QualityCheck


def add(session: Session, order: Order) -> Order:
    session.add(order)
    session.flush()
    return order


def add_unique(session: Session, values: dict[str, Any]) -> Order | None:
    """Insert the order of ``values`` (column → value) unless another order already holds what
    it claims (its exclusive listing, or its quote or auction result): then None, and nothing
    is inserted; the caller's transaction stays usable (``db.insert_row_unless_taken``: one
    statement, and the row as written). Concurrent placements queue on the unique index: the
    first to commit wins, the others come here."""
    return insert_row_unless_taken(session, Order, values)


_ORDER: Table = Order.metadata.tables["purchase_order"]


def write_columns(session: Session, order: Order, **values: object) -> None:
    """Write ``values`` (column → value) to ``order``'s row in one Core ``UPDATE`` (no unit of
    work) and give the row object the session holds them as written: nothing is left to
    flush. ``order`` is locked or inserted by this transaction."""
    assert order.id is not None
    assert values
    session.execute(_update_of(tuple(values)), {**values, "order_id": order.id})
    for key, value in values.items():
        set_committed_value(order, key, value)


@functools.cache
def _update_of(columns: tuple[str, ...]) -> Any:
    """``write_columns``' statement for these columns, built once."""
    return (
        update(_ORDER)
        .where(_ORDER.c.id == bindparam("order_id"))
        .values({c: bindparam(c) for c in columns})
    )


def get(session: Session, order_id: int) -> Order | None:
    return session.get(Order, order_id)


def lock(session: Session, order_id: int) -> Order | None:
    query = select(Order).where(col(Order.id) == order_id).with_for_update(key_share=True)
    return session.exec(query).first()


def exclusive_holder(session: Session, listing_id: int) -> Order | None:
    """The order that holds exclusive listing ``listing_id``, if one does."""
    query = select(Order).where(col(Order.exclusive_listing_id) == listing_id)
    return session.exec(query).first()


def by_source(session: Session, source: str, source_id: int) -> Order | None:
    query = select(Order).where(col(Order.source) == source, col(Order.source_id) == source_id)
    return session.exec(query).first()


def page_involving(
    session: Session, organization_id: int, *, before_id: int | None, limit: int
) -> list[Order]:
    """The orders an organisation placed or supplies, newest first, ids below ``before_id``."""
    query = select(Order).where(
        or_(
            col(Order.buyer_organization_id) == organization_id,
            col(Order.supplier_organization_id) == organization_id,
        )
    )
    if before_id is not None:
        query = query.where(col(Order.id) < before_id)
    return list(session.exec(query.order_by(col(Order.id).desc()).limit(limit)).all())


def page_awaiting_approval(session: Session, *, before_id: int | None, limit: int) -> list[Order]:
    """Paid orders of important data that no operator has decided yet, newest first, ids below
    ``before_id``."""
    query = select(Order).where(
        col(Order.status) == OrderStatus.paid.value, col(Order.needs_approval).is_(True)
    )
    if before_id is not None:
        query = query.where(col(Order.id) < before_id)
    return list(session.exec(query.order_by(col(Order.id).desc()).limit(limit)).all())


def totals(session: Session, listing_id: int, statuses: Collection[str]) -> tuple[int, int, int]:
    """(orders, quantity, amount charged) of a listing's orders in ``statuses``."""
    query = select(
        func.count(col(Order.id)),
        func.coalesce(func.sum(col(Order.quantity)), 0),
        func.coalesce(func.sum(col(Order.price_minor)), 0),
    ).where(col(Order.listing_id) == listing_id, col(Order.status).in_(list(statuses)))
    count, quantity, amount = session.exec(query).one()
    return int(count), int(quantity), int(amount)


def journal_entry(session: Session, seq: int) -> JournalEntry | None:
    return kept(session, session.get(JournalEntry, seq))  # entries never change: held


def keep_written_entry(session: Session, entry: JournalEntry) -> None:
    """Hold ``entry``, just appended in this transaction (``journal.append`` returns the row as
    written), so that ``journal_entry`` of its seq answers without reading it back."""
    make_transient_to_detached(entry)  # its fields are the row's: nothing to flush
    session.add(entry)
    kept(session, entry)


def last_entry_seq(session: Session, *, subject: str, kind: str) -> int | None:
    """The seq of the newest journal entry of ``kind`` about ``subject``."""
    found = session.exec(
        select(func.max(JournalEntry.seq)).where(
            JournalEntry.subject == subject, JournalEntry.kind == kind
        )
    ).one()
    return None if found is None else int(found)


def claim_next(
    session: Session,
    status: str,
    *,
    due_column: str,
    due_by: datetime,
    skip: Collection[int] = (),
) -> Order | None:
    """The oldest order in ``status`` whose ``due_column`` is at or before ``due_by`` (ids in
    ``skip`` aside), locked for this transaction. PostgreSQL skips rows another transaction has
    locked (``FOR NO KEY UPDATE SKIP LOCKED``), so concurrent settlement runs never take the same
    order and never wait on one another; SQLite runs one write transaction at a time (``BEGIN
    IMMEDIATE``), so the next runner reads the order after the first committed its new state."""
    due = getattr(Order, due_column)
    query = select(Order).where(col(Order.status) == status, col(due) <= due_by)
    if skip:
        query = query.where(col(Order.id).not_in(list(skip)))
    query = query.order_by(col(Order.id)).limit(1).with_for_update(key_share=True, skip_locked=True)
    return session.exec(query).first()


def settled_involving(
    session: Session,
    organization_id: int,
    *,
    asset_ids: Collection[int] | None,
    since: datetime,
    limit: int,
) -> list[Order]:
    """Settled orders an organisation bought or supplied, settled at or after ``since``, of
    ``asset_ids`` (any asset when None), most recently settled first."""
    query = select(Order).where(
        col(Order.status) == OrderStatus.settled.value,
        col(Order.settled_at) >= since,
        or_(
            col(Order.buyer_organization_id) == organization_id,
            col(Order.supplier_organization_id) == organization_id,
        ),
    )
    if asset_ids is not None:
        query = query.where(col(Order.asset_id).in_(list(asset_ids)))
    order_by = (col(Order.settled_at).desc(), col(Order.id).desc())
    return list(session.exec(query.order_by(*order_by).limit(limit)).all())


def add_quality_check(session: Session, check: QualityCheck) -> QualityCheck | None:
    """Insert ``check``; None when the order already has this very check (same file, report and
    differences), which the unique constraint refuses."""
    try:
        with session.begin_nested():
            session.add(check)
            session.flush()
    except IntegrityError:
        return None
    return check


def quality_checks(session: Session, order_id: int) -> list[QualityCheck]:
    """The order's quality checks, oldest first."""
    query = select(QualityCheck).where(col(QualityCheck.order_id) == order_id)
    return list(session.exec(query.order_by(col(QualityCheck.id))).all())


def traded_with(
    session: Session, organization_ids: Collection[int], party_ids: Collection[int], *,
    since: datetime,
) -> set[int]:  # fmt: skip
    """Those of ``organization_ids`` that bought from or sold to one of ``party_ids`` in an
    order placed at or after ``since`` (any state)."""
    if not organization_ids or not party_ids:
        return set()
    orgs, parties = list(organization_ids), list(party_ids)
    query = select(Order.buyer_organization_id, Order.supplier_organization_id).where(
        col(Order.created_at) >= since,
        or_(
            col(Order.buyer_organization_id).in_(orgs)
            & col(Order.supplier_organization_id).in_(parties),
            col(Order.supplier_organization_id).in_(orgs)
            & col(Order.buyer_organization_id).in_(parties),
        ),
    )
    found: set[int] = set()
    for buyer, supplier in session.exec(query).all():
        found.update(o for o in (buyer, supplier) if o in orgs)
    return found
