"""All SQL for idempotency keys."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col, select

from marketplace.idempotency.models import IdempotencyRecord

_TABLE = cast(Table, IdempotencyRecord.__table__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NewKey:
    """The in-flight record of a key being claimed."""

    organization_id: int
    route: str
    key: str
    request_sha256: str
    claim_token: str
    claimed_at: datetime
    expires_at: datetime


def insert_if_absent(session: Session, new: NewKey) -> int | None:
    """Insert ``new`` unless its key is taken (by a committed row, or by a concurrent insert
    that then commits: PostgreSQL makes this one wait for it); its id, or None when taken.
    ``ON CONFLICT DO NOTHING`` leaves the transaction usable either way. One statement, built
    once per database; no ORM row."""
    statement = _insert_if_absent(session.get_bind().dialect.name)
    inserted: int | None = session.execute(statement, asdict(new)).scalar_one_or_none()
    return inserted


@functools.cache
def _insert_if_absent(dialect: str) -> Any:
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(_TABLE)
        .on_conflict_do_nothing(index_elements=["organization_id", "route", "key"])
        .returning(_TABLE.c.id)
    )


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
) -> bool:
    """Delete the key's record if it expired; whether it did."""
    return (
        _rows(
            session,
            delete(IdempotencyRecord).where(
                col(IdempotencyRecord.organization_id) == organization_id,
                col(IdempotencyRecord.route) == route,
                col(IdempotencyRecord.key) == key,
                col(IdempotencyRecord.expires_at) <= now,
            ),
        )
        == 1
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
        .with_for_update(key_share=True, skip_locked=True)
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
    params = {"record_id": record_id, "token": token, "status": status, "headers": headers,
              "body": body}  # fmt: skip
    return _rows(session, _answer(), params) == 1


@functools.cache
def _answer() -> Any:
    """``answer``'s conditional UPDATE, built once."""
    return (
        update(_TABLE)
        .where(
            _TABLE.c.id == bindparam("record_id"),
            _TABLE.c.claim_token == bindparam("token"),
            _TABLE.c.response_status.is_(None),
        )
        .values(
            response_status=bindparam("status"),
            response_headers=bindparam("headers"),
            response_body=bindparam("body"),
        )
    )


def _rows(session: Session, statement: Any, params: dict[str, Any] | None = None) -> int:
    result = cast(CursorResult[Any], session.execute(statement, params))
    return result.rowcount
