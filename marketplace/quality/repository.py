"""All SQL for quality evaluations."""

from __future__ import annotations

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


def active(session: Session, asset_id: int, revision: int) -> QualityEvaluation | None:
    query = select(QualityEvaluation).where(
        QualityEvaluation.asset_id == asset_id,
        QualityEvaluation.revision == revision,
        col(QualityEvaluation.status).in_([EvaluationStatus.queued, EvaluationStatus.running]),
    )
    return session.exec(query.limit(1)).first()


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
