"""How far anchoring has got, read from the database in a few indexed queries (cheap enough for
every metrics scrape)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from ledger.journal import HEAD_ID
from ledger.models import AnchorBatch, BatchStatus, JournalEntry, JournalHead, as_utc, utc_now

BATCH_STATUSES = (BatchStatus.pending, BatchStatus.sent, BatchStatus.confirmed)


@dataclass(frozen=True)
class AnchoringProgress:
    journal_last_seq: int
    last_anchored_seq: int  # the last seq of a mined (sent or confirmed) batch
    batches: dict[str, int]  # status -> count
    oldest_unanchored_age_s: float  # age of the first entry after last_anchored_seq; 0 if none

    @property
    def lag_entries(self) -> int:
        return max(self.journal_last_seq - self.last_anchored_seq, 0)


def anchoring_progress(session: Session, now: datetime | None = None) -> AnchoringProgress:
    head = session.get(JournalHead, HEAD_ID)
    journal_last_seq = 0 if head is None else head.last_seq
    # Batch ids run 1..N and batches are mined and confirmed in id order, so only the
    # unconfirmed few are counted row by row.
    batch_count = session.execute(select(func.max(AnchorBatch.id))).scalar() or 0
    unconfirmed: dict[str, int] = dict(
        session.execute(
            select(col(AnchorBatch.status), func.count())
            .where(col(AnchorBatch.status) != BatchStatus.confirmed)
            .group_by(col(AnchorBatch.status))
        ).all()
    )
    batches = {status: int(unconfirmed.get(status, 0)) for status in BATCH_STATUSES}
    batches[BatchStatus.confirmed] = batch_count - sum(batches.values())
    last_anchored_seq = (
        session.execute(
            select(func.max(col(AnchorBatch.last_seq))).where(
                col(AnchorBatch.status) != BatchStatus.pending
            )
        ).scalar()
        or 0
    )
    oldest = session.execute(
        select(col(JournalEntry.recorded_at)).where(col(JournalEntry.seq) == last_anchored_seq + 1)
    ).scalar()
    age_s = 0.0
    if oldest is not None:
        age_s = max(((now or utc_now()) - as_utc(oldest)).total_seconds(), 0.0)
    return AnchoringProgress(journal_last_seq, int(last_anchored_seq), batches, age_s)
