"""All SQL for browsing the transparency log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session, col

from ledger.models import AnchorBatch, JournalEntry


def list_entries(
    session: Session, *, after_seq: int, limit: int, kind: str | None, subject: str | None
) -> Sequence[JournalEntry]:
    stmt = select(JournalEntry).where(col(JournalEntry.seq) > after_seq)
    if kind is not None:
        stmt = stmt.where(col(JournalEntry.kind) == kind)
    if subject is not None:
        stmt = stmt.where(col(JournalEntry.subject) == subject)
    return session.execute(stmt.order_by(col(JournalEntry.seq)).limit(limit)).scalars().all()


def list_batches(session: Session, *, after_id: int, limit: int) -> Sequence[AnchorBatch]:
    stmt = (
        select(AnchorBatch)
        .where(col(AnchorBatch.id) > after_id)
        .order_by(col(AnchorBatch.id))
        .limit(limit)
    )
    return session.execute(stmt).scalars().all()


def batch_ids_for(session: Session, first_seq: int, last_seq: int) -> list[tuple[int, int, int]]:
    """(id, first_seq, last_seq) of the batches overlapping ``first_seq..last_seq``."""
    rows = session.execute(
        select(col(AnchorBatch.id), col(AnchorBatch.first_seq), col(AnchorBatch.last_seq))
        .where(col(AnchorBatch.last_seq) >= first_seq, col(AnchorBatch.first_seq) <= last_seq)
        .order_by(col(AnchorBatch.first_seq))
    ).all()
    return [(int(a), int(b), int(c)) for a, b, c in rows]
