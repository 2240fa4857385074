"""All SQL for disputes."""

from __future__ import annotations

from sqlmodel import Session, col, select

from marketplace.disputes.models import Assignment, Dispute


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
