"""The worker lease: a named row that lets one worker act at a time (``SKIP LOCKED`` on
PostgreSQL). A holder renews it before each unit of work; a lease past its expiry is free, so a
worker that died is replaced after at most one lease period.

A lease held by time alone cannot stop a worker that was paused past its expiry (a long chain
call, a GC pause, a stopped VM) from acting on when it wakes, next to the worker that took over.
So the lease carries a fencing token, ``epoch``, raised by one each time the lease changes
hands. A holder's writes run through ``fence``: in the write's own transaction it locks the
lease row on the condition that it still names this holder at this epoch; when it does not, the
transaction is rolled back and ``LeaseLost`` raised. A stale worker's writes are refused, never
applied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Engine
from sqlmodel import Session, col

from ledger.errors import LeaseLost
from ledger.models import WorkerLease, as_utc, utc_now

log = logging.getLogger("ledger.anchoring")  # the worker's one logger name, for operators

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Lease:
    """A lease as its holder took it: ``epoch`` is the fencing token its writes carry."""

    name: str
    holder: str
    epoch: int


def acquire_lease(
    engine: Engine, name: str, holder: str, lease_s: float, *, now: datetime | None = None
) -> Lease | None:
    """Take or renew lease ``name`` for ``lease_s``; None when another live holder has it.
    Taking it from another holder (or a released lease) raises its epoch; renewing keeps it."""
    assert lease_s > 0
    now = now or utc_now()
    with Session(engine) as s:
        dialect = s.get_bind().dialect.name
        values = {"name": name, "holder": None, "expires_at": None, "epoch": 0}
        if dialect == "postgresql":
            s.execute(postgresql.insert(WorkerLease).values(values).on_conflict_do_nothing())
            lease = s.execute(
                select(WorkerLease)
                .where(col(WorkerLease.name) == name)
                .with_for_update(key_share=True, skip_locked=True)
            ).scalar_one_or_none()
        else:
            s.execute(sqlite.insert(WorkerLease).values(values).on_conflict_do_nothing())
            lease = s.get(WorkerLease, name)
        if lease is None:  # another worker is renewing it or writing under it right now
            s.rollback()
            return None
        free = (
            lease.holder in (None, holder)
            or lease.expires_at is None
            or as_utc(lease.expires_at) < now
        )
        if not free:
            s.rollback()
            return None
        if lease.holder != holder:
            lease.epoch += 1
            log.info(
                "anchoring lease taken by %s (epoch %d)",
                holder,
                lease.epoch,
                extra={"fields": {"holder": holder, "epoch": lease.epoch}},
            )
        lease.holder = holder
        lease.expires_at = now + timedelta(seconds=lease_s)
        taken = Lease(name, holder, lease.epoch)
        s.add(lease)
        s.commit()
        return taken


def fence(s: Session, lease: Lease) -> None:
    """In ``s``'s transaction, before its writes: lock the lease row if it still names
    ``lease``'s holder at its epoch (the lock holds off any takeover until the commit); else
    roll back and raise ``LeaseLost``. The row's expiry is not checked: a lease that expired
    but that no one took is still this holder's (nobody else can have written meanwhile)."""
    result = s.execute(
        update(WorkerLease)
        .where(
            col(WorkerLease.name) == lease.name,
            col(WorkerLease.holder) == lease.holder,
            col(WorkerLease.epoch) == lease.epoch,
        )
        .values(epoch=lease.epoch)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        s.rollback()
        raise LeaseLost(
            f"{lease.holder} no longer holds the {lease.name} lease (epoch {lease.epoch}); "
            "its write was refused"
        )


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
