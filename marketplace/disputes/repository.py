"""All SQL for disputes."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ledger.models import JournalEntry
from marketplace.disputes.lifecycle import DisputeStatus
from marketplace.disputes.models import Assignment, Dispute, Evidence, Ruling


def add(session: Session, row: Dispute | Assignment) -> None:
    session.add(row)
    session.flush()


def get(session: Session, dispute_id: int, *, lock: bool = False) -> Dispute | None:
    """The dispute; with ``lock``, under its row lock (``SELECT ... FOR NO KEY UPDATE``; SQLite
    serialises writers anyway), held until the caller's transaction ends."""
    statement = select(Dispute).where(Dispute.id == dispute_id)
    if lock:
        statement = statement.with_for_update(key_share=True)
    return session.exec(statement.execution_options(populate_existing=lock)).first()


def by_order(session: Session, order_id: int, *, period: int = 0) -> Dispute | None:
    """The order's dispute, or (``period``) its period's."""
    query = select(Dispute).where(Dispute.order_id == order_id, Dispute.period == period)
    return session.exec(query).first()


def disputed_periods(session: Session, order_id: int) -> set[int]:
    """The numbers of the order's periods that have a dispute."""
    query = select(Dispute.period).where(Dispute.order_id == order_id, col(Dispute.period) > 0)
    return set(session.exec(query).all())


def by_objection(session: Session, objection_id: int) -> Dispute | None:
    return session.exec(select(Dispute).where(Dispute.objection_id == objection_id)).first()


def assigned(session: Session, dispute_id: int, account_id: int) -> bool:
    """Whether ``account_id`` is drawn for the dispute, in any round, and not replaced."""
    found = session.exec(
        select(Assignment.id).where(
            Assignment.dispute_id == dispute_id,
            Assignment.account_id == account_id,
            col(Assignment.replaced_seq).is_(None),
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


def add_unique(session: Session, row: Dispute) -> Dispute | None:
    """Insert the dispute unless its order (or period) has one already (the unique
    ``(order_id, period)``): then None and nothing inserted. A savepoint keeps the caller's
    transaction usable (as ``orders.repository.add_unique``)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def add_ruling(session: Session, row: Ruling) -> None:
    session.add(row)
    session.flush()


def rulings(session: Session, dispute_id: int, round_: int | None = None) -> list[Ruling]:
    query = select(Ruling).where(Ruling.dispute_id == dispute_id)
    if round_ is not None:
        query = query.where(Ruling.round == round_)
    return list(session.exec(query.order_by(col(Ruling.id))))


def assigned_in(session: Session, dispute_id: int, account_id: int, round_: int) -> bool:
    found = session.exec(
        select(Assignment.id).where(
            Assignment.dispute_id == dispute_id,
            Assignment.account_id == account_id,
            Assignment.round == round_,
            col(Assignment.replaced_seq).is_(None),
        )
    ).first()
    return found is not None


def pending_of_organization(session: Session, organization_id: int) -> list[int]:
    """The disputes, by id, in which an arbitrator of the organisation is drawn for the round
    under way and has not ruled or voted yet: round 1 while the dispute is ``open``, round 2
    while it is ``appealed`` (a panel member who voted has done its part)."""
    voted = select(Ruling.id).where(
        Ruling.dispute_id == Assignment.dispute_id,
        Ruling.account_id == Assignment.account_id,
        Ruling.round == Assignment.round,
    )
    query = (
        select(Assignment.dispute_id)
        .join(Dispute, col(Dispute.id) == Assignment.dispute_id)
        .where(
            Assignment.organization_id == organization_id,
            col(Assignment.replaced_seq).is_(None),
            Assignment.round == Dispute.round,
            col(Dispute.status).in_([DisputeStatus.open.value, DisputeStatus.appealed.value]),
            ~voted.exists(),
        )
        .distinct()
        .order_by(col(Assignment.dispute_id))
    )
    return [int(i) for i in session.exec(query)]


def visible_to(
    session: Session, *, organization_id: int, account_id: int, everything: bool, limit: int
) -> list[Dispute]:
    """Disputes the caller sees, newest first: its organisation's as a party, those it is drawn
    for, or (``everything``, operators) all."""
    query = select(Dispute)
    if not everything:
        drawn = select(Assignment.dispute_id).where(
            Assignment.account_id == account_id, col(Assignment.replaced_seq).is_(None)
        )
        query = query.where(
            or_(
                col(Dispute.buyer_organization_id) == organization_id,
                col(Dispute.supplier_organization_id) == organization_id,
                col(Dispute.id).in_(drawn),
            )
        )
    return list(session.exec(query.order_by(col(Dispute.id).desc()).limit(limit)))


def claim_due(session: Session, *, now: datetime, skip: Collection[int] = ()) -> Dispute | None:
    """The oldest dispute due for execution — ``ruled`` with its appeal window ended, or
    ``final`` — locked for this transaction. PostgreSQL skips rows another runner holds (``FOR
    UPDATE SKIP LOCKED``); SQLite runs one write transaction at a time, so the next runner reads
    the state the first committed (as ``orders.repository.claim_next``)."""
    query = select(Dispute).where(
        or_(
            (col(Dispute.status) == DisputeStatus.ruled.value)
            & (col(Dispute.appeal_closes_at) <= now),
            col(Dispute.status) == DisputeStatus.final.value,
        )
    )
    if skip:
        query = query.where(col(Dispute.id).not_in(list(skip)))
    query = (
        query.order_by(col(Dispute.id)).limit(1).with_for_update(key_share=True, skip_locked=True)
    )
    return session.exec(query.execution_options(populate_existing=True)).first()


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
