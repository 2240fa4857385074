"""The anchor batch rows the anchoring worker reads and writes. Every write commits on its own:
each step of the protocol in ``ledger/anchoring.py`` is durable before the next one starts.

Every write is fenced (``ledger/lease.py``): it commits only while its worker's lease epoch is
current, and an update applies only while the row's status is still the one the worker read
(compare-and-set), so a worker that lost its lease mid-step cannot move a batch backwards
(``confirmed`` to ``sent``) or overwrite what its successor wrote. A refused write raises
``LeaseLost`` and leaves the row, and the worker's copy of it, as they were."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult, Engine
from sqlmodel import Session, col

from ledger.errors import LeaseLost
from ledger.lease import Lease, fence
from ledger.models import AnchorBatch, BatchStatus, JournalEntry


@dataclass(frozen=True)
class Tail:
    """The journal after the last batch: the next batch's id, its first seq, when that entry
    was recorded, and (seq, entry_hash) of up to ``entries_max`` entries from there."""

    batch_id: int
    first_seq: int
    oldest_recorded_at: datetime
    rows: Sequence[tuple[int, str]]


def unanchored_tail(engine: Engine, entries_max: int) -> Tail | None:
    """The entries no batch covers yet, oldest first; None when there are none."""
    with Session(engine) as s:
        last = s.execute(
            select(col(AnchorBatch.id), col(AnchorBatch.last_seq))
            .order_by(col(AnchorBatch.id).desc())
            .limit(1)
        ).first()
        batch_id, first_seq = (1, 1) if last is None else (int(last[0]) + 1, int(last[1]) + 1)
        oldest = s.execute(
            select(col(JournalEntry.recorded_at)).where(col(JournalEntry.seq) == first_seq)
        ).scalar()
        if oldest is None:
            return None
        rows = s.execute(
            select(col(JournalEntry.seq), col(JournalEntry.entry_hash))
            .where(col(JournalEntry.seq) >= first_seq)
            .order_by(col(JournalEntry.seq))
            .limit(entries_max)
        ).all()
    return Tail(batch_id, first_seq, oldest, [(int(seq), h) for seq, h in rows])


def insert(engine: Engine, lease: Lease, batch: AnchorBatch) -> None:
    """Store a new batch while ``lease`` is current. A racing worker that cut the same batch
    fails on the unique ``first_seq``."""
    with Session(engine, expire_on_commit=False) as s:
        fence(s, lease)
        s.add(batch)
        s.commit()


def unconfirmed(engine: Engine) -> list[AnchorBatch]:
    """Batches not yet confirmed (pending or sent), in id order."""
    with Session(engine, expire_on_commit=False) as s:
        return list(
            s.execute(
                select(AnchorBatch)
                .where(col(AnchorBatch.status) != BatchStatus.confirmed)
                .order_by(col(AnchorBatch.id))
            )
            .scalars()
            .all()
        )


def save(engine: Engine, lease: Lease, batch: AnchorBatch, **changes: Any) -> None:
    """Commit ``changes`` to ``batch``'s row, then apply them to ``batch``: only while ``lease``
    is current and the row's status is still ``batch.status``; else ``LeaseLost`` and nothing
    changes."""
    with Session(engine, expire_on_commit=False) as s:
        fence(s, lease)
        result = s.execute(
            update(AnchorBatch)
            .where(col(AnchorBatch.id) == batch.id, col(AnchorBatch.status) == batch.status)
            .values(**changes)
        )
        assert isinstance(result, CursorResult)
        if result.rowcount != 1:
            s.rollback()
            raise LeaseLost(
                f"batch {batch.id} is no longer {batch.status}; {lease.holder}'s write was refused"
            )
        s.commit()
    for name, value in changes.items():
        setattr(batch, name, value)


def all_confirmed(engine: Engine) -> bool:
    """Every journal entry is in a confirmed batch and no batch is unconfirmed."""
    with Session(engine) as s:
        last_seq = s.execute(select(func.max(JournalEntry.seq))).scalar() or 0
        row = s.execute(
            select(func.max(col(AnchorBatch.last_seq))).where(
                col(AnchorBatch.status) == BatchStatus.confirmed
            )
        ).scalar()
        unconfirmed = s.execute(
            select(func.count()).where(col(AnchorBatch.status) != BatchStatus.confirmed)
        ).scalar()
    return (row or 0) >= last_seq and not unconfirmed


def log_fields(batch: AnchorBatch, **more: Any) -> dict[str, Any]:
    """``extra=`` for a log record about ``batch`` (the JSON log formatter emits the fields)."""
    return {
        "fields": {
            "batch_id": batch.id,
            "first_seq": batch.first_seq,
            "last_seq": batch.last_seq,
            "tx_hash": batch.tx_hash,
            "nonce": batch.nonce,
            **more,
        }
    }
