"""The worker lease: a named row that lets one worker act at a time (``SKIP LOCKED`` on
PostgreSQL). A holder renews it before each unit of work; a lease past its expiry is free, so a
worker that died is replaced after at most one lease period."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from ledger.models import WorkerLease, as_utc, utc_now

log = logging.getLogger("ledger.anchoring")  # the worker's one logger name, for operators


def acquire_lease(engine: Engine, name: str, holder: str, lease_s: float) -> bool:
    """Take or renew lease ``name`` for ``lease_s``; False when another live holder has it."""
    assert lease_s > 0
    now = utc_now()
    with Session(engine) as s:
        dialect = s.get_bind().dialect.name
        values = {"name": name, "holder": None, "expires_at": None}
        if dialect == "postgresql":
            s.execute(postgresql.insert(WorkerLease).values(values).on_conflict_do_nothing())
            lease = s.execute(
                select(WorkerLease)
                .where(col(WorkerLease.name) == name)
                .with_for_update(skip_locked=True)
            ).scalar_one_or_none()
        else:
            s.execute(sqlite.insert(WorkerLease).values(values).on_conflict_do_nothing())
            lease = s.get(WorkerLease, name)
        if lease is None:  # another worker is renewing it right now
            s.rollback()
            return False
        free = (
            lease.holder in (None, holder)
            or lease.expires_at is None
            or as_utc(lease.expires_at) < now
        )
        if not free:
            s.rollback()
            return False
        lease.holder = holder
        lease.expires_at = now + timedelta(seconds=lease_s)
        s.add(lease)
        s.commit()
        return True


def release_lease(engine: Engine, name: str, holder: str) -> None:
    """Free lease ``name`` if ``holder`` has it; a failure is logged, never raised (the lease
    then expires on its own)."""
    try:
        with Session(engine) as s:
            s.execute(
                update(WorkerLease)
                .where(col(WorkerLease.name) == name, col(WorkerLease.holder) == holder)
                .values(holder=None, expires_at=None)
            )
            s.commit()
    except Exception:
        log.warning("could not release the worker lease", exc_info=True)
