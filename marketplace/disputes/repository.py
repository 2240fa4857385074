"""All SQL for disputes."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from ledger.models import JournalEntry
from marketplace.disputes.models import Assignment, Dispute, Evidence, Ruling


def add(session: Session, row: Dispute | Assignment) -> None:
    session.add(row)
    session.flush()


def get(session: Session, dispute_id: int, *, lock: bool = False) -> Dispute | None:
    """The dispute; with ``lock``, under its row lock (``SELECT ... FOR UPDATE``; SQLite
    serialises writers anyway), held until the caller's transaction ends."""
    statement = select(Dispute).where(Dispute.id == dispute_id)
    if lock:
        statement = statement.with_for_update()
    return session.exec(statement.execution_options(populate_existing=lock)).first()


def by_order(session: Session, order_id: int) -> Dispute | None:
    return session.exec(select(Dispute).where(Dispute.order_id == order_id)).first()


def assigned(session: Session, dispute_id: int, account_id: int) -> bool:
    """Whether ``account_id`` is drawn for the dispute, in any round."""
    found = session.exec(
        select(Assignment.id).where(
            Assignment.dispute_id == dispute_id, Assignment.account_id == account_id
        )
    ).first()
    return found is not None


def assignments(session: Session, dispute_id: int) -> list[Assignment]:
    return list(
        session.exec(
            select(Assignment)
            .where(Assignment.dispute_id == dispute_id)
            .order_by(col(Assignment.round), col(Assignment.id))
        )
    )


# The dossier's reads (service/dossier.py).


def evidence_of(session: Session, dispute_id: int) -> list[Evidence]:
    return list(
        session.exec(
            select(Evidence).where(Evidence.dispute_id == dispute_id).order_by(col(Evidence.id))
        )
    )


def rulings_of(session: Session, dispute_id: int) -> list[Ruling]:
    return list(
        session.exec(select(Ruling).where(Ruling.dispute_id == dispute_id).order_by(col(Ruling.id)))
    )


def entry_seqs_about(session: Session, subject: str) -> list[int]:
    """The seqs of the journal entries whose subject is ``subject``, oldest first."""
    return [
        int(seq)
        for seq in session.exec(
            select(JournalEntry.seq)
            .where(JournalEntry.subject == subject)
            .order_by(col(JournalEntry.seq))
        )
    ]


def journal_entries(session: Session, seqs: Iterable[int]) -> list[JournalEntry]:
    wanted = sorted(set(seqs))
    if not wanted:
        return []
    return list(
        session.exec(
            select(JournalEntry)
            .where(col(JournalEntry.seq).in_(wanted))
            .order_by(col(JournalEntry.seq))
        )
    )
