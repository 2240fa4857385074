"""All SQL for quality evaluations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from marketplace.quality.models import EvaluationStatus, QualityEvaluation


def add(session: Session, evaluation: QualityEvaluation) -> QualityEvaluation:
    session.add(evaluation)
    session.flush()
    return evaluation


def get(session: Session, evaluation_id: int) -> QualityEvaluation | None:
    return session.get(QualityEvaluation, evaluation_id)


def latest(
    session: Session, asset_id: int, revision: int, *, done_only: bool = False
) -> QualityEvaluation | None:
    query = select(QualityEvaluation).where(
        QualityEvaluation.asset_id == asset_id, QualityEvaluation.revision == revision
    )
    if done_only:
        query = query.where(QualityEvaluation.status == EvaluationStatus.done)
    return session.exec(query.order_by(col(QualityEvaluation.id).desc()).limit(1)).first()


def locked(session: Session, evaluation_id: int) -> QualityEvaluation | None:
    """The evaluation read afresh, its row locked until the transaction ends (PostgreSQL; SQLite
    transactions hold the database's write lock already)."""
    query = (
        select(QualityEvaluation)
        .where(QualityEvaluation.id == evaluation_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return session.exec(query).first()


def active(
    session: Session, asset_id: int, revision: int, *, running_since: datetime
) -> list[QualityEvaluation]:
    """The revision's queued evaluations and those running that moved since ``running_since``
    (older ones are dead), oldest first."""
    query = select(QualityEvaluation).where(
        QualityEvaluation.asset_id == asset_id,
        QualityEvaluation.revision == revision,
        or_(
            col(QualityEvaluation.status) == EvaluationStatus.queued,
            and_(
                col(QualityEvaluation.status) == EvaluationStatus.running,
                col(QualityEvaluation.updated_at) >= running_since,
            ),
        ),
    )
    return list(session.exec(query.order_by(col(QualityEvaluation.id))).all())


def by_report_hash(session: Session, asset_id: int, report_hash: str) -> QualityEvaluation | None:
    """The finished evaluation of the asset whose report has this hash (a valuation's)."""
    query = select(QualityEvaluation).where(
        QualityEvaluation.asset_id == asset_id,
        QualityEvaluation.report_hash == report_hash,
        QualityEvaluation.status == EvaluationStatus.done,
    )
    return session.exec(query.order_by(col(QualityEvaluation.id).desc()).limit(1)).first()


def active_for_asset(session: Session, asset_id: int) -> QualityEvaluation | None:
    query = select(QualityEvaluation).where(
        QualityEvaluation.asset_id == asset_id,
        col(QualityEvaluation.status).in_([EvaluationStatus.queued, EvaluationStatus.running]),
    )
    return session.exec(query.limit(1)).first()


def delete_for_asset(session: Session, asset_id: int) -> int:
    """Delete every evaluation of the asset; returns how many."""
    rows = session.exec(select(QualityEvaluation).where(QualityEvaluation.asset_id == asset_id))
    count = 0
    for row in rows.all():
        session.delete(row)
        count += 1
    session.flush()
    return count
