"""All SQL for evidence: the items of a dispute, and the journal entries system records name."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.models import JournalEntry
from marketplace.disputes.models import Evidence


def add(session: Session, row: Evidence) -> None:
    session.add(row)
    session.flush()


def get(session: Session, dispute_id: int, evidence_id: int) -> Evidence | None:
    return session.exec(
        select(Evidence).where(Evidence.dispute_id == dispute_id, Evidence.id == evidence_id)
    ).first()


def of_dispute(session: Session, dispute_id: int) -> list[Evidence]:
    """The dispute's items in the order they were added."""
    return list(
        session.exec(
            select(Evidence).where(Evidence.dispute_id == dispute_id).order_by(col(Evidence.id))
        )
    )


def count(
    session: Session, dispute_id: int, *, source: str | None = None, side: str | None = None
) -> int:
    """How many items the dispute holds; of one ``source`` (party, system), of one ``side``."""
    query = select(func.count()).select_from(Evidence).where(Evidence.dispute_id == dispute_id)
    if source is not None:
        query = query.where(Evidence.source == source)
    if side is not None:
        query = query.where(Evidence.side == side)
    return int(session.exec(query).one())


def duplicate(session: Session, dispute_id: int, side: str, kind: str, sha256: str) -> bool:
    """Whether ``side`` already submitted these bytes as this kind."""
    found = session.exec(
        select(Evidence.id).where(
            Evidence.dispute_id == dispute_id,
            Evidence.side == side,
            Evidence.kind == kind,
            Evidence.sha256 == sha256,
        )
    ).first()
    return found is not None


def record_seqs(session: Session, dispute_id: int) -> set[int]:
    """The journal seqs already attached to the dispute as system records."""
    return {
        int(seq)
        for seq in session.exec(
            select(Evidence.record_seq).where(
                Evidence.dispute_id == dispute_id, col(Evidence.record_seq).is_not(None)
            )
        )
        if seq is not None
    }


def journal_entry(session: Session, seq: int) -> JournalEntry | None:
    return session.get(JournalEntry, seq)


def journal_entries(session: Session, kind: str, subject: str) -> list[JournalEntry]:
    """Every entry of ``kind`` about ``subject``, oldest first."""
    return list(
        session.exec(
            select(JournalEntry)
            .where(JournalEntry.kind == kind, JournalEntry.subject == subject)
            .order_by(col(JournalEntry.seq))
        )
    )


def blob_keys(session: Session) -> set[str]:
    """The blob of every party's stored item (the blob sweeper keeps these)."""
    query = select(Evidence.blob_key).where(col(Evidence.blob_key).is_not(None))
    return {str(key) for key in session.execute(query).scalars()}
