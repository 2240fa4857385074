"""All SQL for browsing the ledger."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session

from ledger.models import AnchorBatch, JournalEntry


def list_entries(
    session: Session, *, after_seq: int, limit: int, kind: str | None, subject: str | None
) -> Sequence[JournalEntry]:
    stmt = select(JournalEntry).where(JournalEntry.seq > after_seq)  # type: ignore[arg-type]
    if kind is not None:
        stmt = stmt.where(JournalEntry.kind == kind)  # type: ignore[arg-type]
    if subject is not None:
        stmt = stmt.where(JournalEntry.subject == subject)  # type: ignore[arg-type]
    return session.execute(stmt.order_by(JournalEntry.seq).limit(limit)).scalars().all()  # type: ignore[arg-type]


def list_batches(session: Session, *, after_id: int, limit: int) -> Sequence[AnchorBatch]:
    stmt = (
        select(AnchorBatch)
        .where(AnchorBatch.id > after_id)  # type: ignore[arg-type]
        .order_by(AnchorBatch.id)  # type: ignore[arg-type]
        .limit(limit)
    )
    return session.execute(stmt).scalars().all()


def batch_ids_for(session: Session, first_seq: int, last_seq: int) -> list[tuple[int, int, int]]:
    """(id, first_seq, last_seq) of the batches overlapping ``first_seq..last_seq``."""
    rows = session.execute(
        select(AnchorBatch.id, AnchorBatch.first_seq, AnchorBatch.last_seq)  # type: ignore[call-overload]
        .where(AnchorBatch.last_seq >= first_seq, AnchorBatch.first_seq <= last_seq)
        .order_by(AnchorBatch.first_seq)
    ).all()
    return [(int(a), int(b), int(c)) for a, b, c in rows]
