"""All SQL for idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col, select

from marketplace.idempotency.models import IdempotencyRecord


def insert_if_absent(session: Session, record: IdempotencyRecord) -> int | None:
    """Insert ``record`` unless its key is taken (by a committed row, or by a concurrent insert
    that then commits: PostgreSQL makes this one wait for it); its id, or None when taken.
    ``ON CONFLICT DO NOTHING`` leaves the transaction usable either way."""
    values = record.model_dump(exclude={"id"})
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(IdempotencyRecord)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["organization_id", "route", "key"])
        .returning(col(IdempotencyRecord.id))
    )
    inserted: int | None = session.execute(statement).scalar_one_or_none()
    return inserted


def get_by_key(
    session: Session, organization_id: int, route: str, key: str
) -> IdempotencyRecord | None:
    query = select(IdempotencyRecord).where(
        col(IdempotencyRecord.organization_id) == organization_id,
        col(IdempotencyRecord.route) == route,
        col(IdempotencyRecord.key) == key,
    )
    return session.exec(query).first()


def delete_expired_key(
    session: Session, organization_id: int, route: str, key: str, now: datetime
) -> None:
    session.execute(
        delete(IdempotencyRecord).where(
            col(IdempotencyRecord.organization_id) == organization_id,
            col(IdempotencyRecord.route) == route,
            col(IdempotencyRecord.key) == key,
            col(IdempotencyRecord.expires_at) <= now,
        )
    )


def purge_expired(session: Session, now: datetime, rows_max: int) -> int:
    """Delete up to ``rows_max`` expired rows, the oldest first; rows another transaction holds
    are skipped (``SKIP LOCKED`` on PostgreSQL; SQLite runs one writer at a time), so that
    concurrent purges never wait for or deadlock with one another. How many were deleted."""
    query = (
        select(IdempotencyRecord.id)
        .where(col(IdempotencyRecord.expires_at) <= now)
        .order_by(col(IdempotencyRecord.expires_at))
        .limit(rows_max)
        .with_for_update(skip_locked=True)
    )
    ids = list(session.exec(query).all())
    if not ids:
        return 0
    session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.id).in_(ids)))
    return len(ids)


def take_over(
    session: Session, record_id: int, stale_token: str, token: str, now: datetime
) -> bool:
    """Move a stale in-flight claim to ``token``; False when another attempt moved it first or
    it was answered meanwhile."""
    result = _rows(
        session,
        update(IdempotencyRecord)
        .where(
            col(IdempotencyRecord.id) == record_id,
            col(IdempotencyRecord.claim_token) == stale_token,
            col(IdempotencyRecord.response_status).is_(None),
        )
        .values(claim_token=token, claimed_at=now),
    )
    return result == 1


def answer(
    session: Session, record_id: int, token: str, *, status: int, headers: str, body: bytes
) -> bool:
    """Store the answer of the attempt holding claim ``token``; False when it no longer holds
    it (another attempt took the claim over)."""
    result = _rows(
        session,
        update(IdempotencyRecord)
        .where(
            col(IdempotencyRecord.id) == record_id,
            col(IdempotencyRecord.claim_token) == token,
            col(IdempotencyRecord.response_status).is_(None),
        )
        .values(response_status=status, response_headers=headers, response_body=body),
    )
    return result == 1


def release(session: Session, record_id: int, token: str) -> None:
    """Delete the in-flight claim ``token``, if it still holds the row."""
    session.execute(
        delete(IdempotencyRecord).where(
            col(IdempotencyRecord.id) == record_id,
            col(IdempotencyRecord.claim_token) == token,
            col(IdempotencyRecord.response_status).is_(None),
        )
    )


def _rows(session: Session, statement: Any) -> int:
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount
