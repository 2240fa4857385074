"""The anchoring lease fences a worker that outlived it: paused mid-step past its lease while
another worker took over and confirmed the batch, it wakes and every write it tries is refused.
No sleeps: the pause is a hook that runs the other worker to the end, the clocks are injected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ledger.anchoring import LEASE_NAME, AnchorConfig, AnchorWorker
from ledger.errors import LeaseLost
from ledger.lease import acquire_lease
from ledger.models import AnchorBatch, BatchStatus, WorkerLease
from tests.ledger.fake_chain import FakeChain
from tests.ledger.helpers import journal_n

LEASE_S = 30.0
T0 = datetime(2026, 1, 1, tzinfo=UTC)
AFTER_LEASE = T0 + timedelta(seconds=LEASE_S + 1)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _worker(
    engine: Engine, chain: FakeChain, holder: str, clock: Clock, *, hook: Any = None, **cfg: Any
) -> AnchorWorker:
    config = AnchorConfig(batch_entries_max=10, batch_age_s=0, poll_s=0.01, lease_s=LEASE_S, **cfg)
    return AnchorWorker(engine, lambda: chain, config, holder=holder, hook=hook, clock=clock)


def _rows(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as s:
        batches = s.execute(select(AnchorBatch).order_by(AnchorBatch.id)).scalars()  # type: ignore[arg-type]
        return [
            (b.id, b.status, b.tx_hash, b.block_number, b.confirmed_at, b.polls) for b in batches
        ]


def _lease(engine: Engine) -> tuple[str | None, int]:
    with Session(engine) as s:
        lease = s.get(WorkerLease, LEASE_NAME)
        assert lease is not None
        return lease.holder, lease.epoch


@pytest.mark.parametrize("paused_at", ["stored", "sent", "mined"])
def test_a_worker_that_outlived_its_lease_cannot_undo_its_successors_work(
    engine: Engine, paused_at: str
) -> None:
    journal_n(engine, 5)
    chain = FakeChain()
    b = _worker(engine, chain, "b", Clock(AFTER_LEASE))
    after_b: list[list[tuple[Any, ...]]] = []

    def pause(point: str, _batch: AnchorBatch) -> None:
        """A stalls here past its lease; meanwhile B takes over and confirms the batch."""
        if point == paused_at and not after_b:
            b.run_until_anchored(timeout_s=10)
            after_b.append(_rows(engine))

    a = _worker(engine, chain, "a", Clock(T0), hook=pause)
    with pytest.raises(LeaseLost):
        a.step(force_cut=True)

    assert after_b, "A never reached the pause"
    assert after_b[0][0][1] == BatchStatus.confirmed
    assert _rows(engine) == after_b[0]  # A's writes after waking changed nothing
    assert [(x.first_seq, x.last_seq) for x in chain.batches] == [(1, 5)]  # anchored once
    assert chain.sends == 1
    assert _lease(engine) == ("b", 2)
    # A's next tick finds the lease held by B (alive on A's clock too) and does nothing.
    assert a.tick() == a.config.poll_s
    assert _rows(engine) == after_b[0]


def test_a_takeover_alone_fences_the_old_holder(engine: Engine) -> None:
    """B only takes the lease; A's next write, although the row is as A left it, is refused."""
    journal_n(engine, 3)
    chain = FakeChain()
    b = _worker(engine, chain, "b", Clock(AFTER_LEASE))

    def pause(point: str, _batch: AnchorBatch) -> None:
        if point == "stored":
            assert b.acquire()

    a = _worker(engine, chain, "a", Clock(T0), hook=pause)
    with pytest.raises(LeaseLost):
        a.step(force_cut=True)
    assert [r[1] for r in _rows(engine)] == [BatchStatus.pending]
    b.run_until_anchored(timeout_s=10)
    assert [r[1] for r in _rows(engine)] == [BatchStatus.confirmed]
    assert chain.sends == 1


def test_the_epoch_goes_up_on_each_takeover_never_on_a_renewal(engine: Engine) -> None:
    def take(holder: str, at: datetime) -> int | None:
        lease = acquire_lease(engine, LEASE_NAME, holder, LEASE_S, now=at)
        return None if lease is None else lease.epoch

    assert take("a", T0) == 1
    assert take("a", T0 + timedelta(seconds=20)) == 1  # renewed: until T0 + 50 s
    assert take("b", T0 + timedelta(seconds=45)) is None
    assert take("b", T0 + timedelta(seconds=51)) == 2
    assert take("a", T0 + timedelta(seconds=52)) is None
    assert take("a", T0 + timedelta(seconds=82)) == 3


def test_a_long_step_renews_the_lease_before_each_batch(engine: Engine) -> None:
    """A step confirming two batches takes 50 s (25 s each), longer than the 30 s lease; it
    renews before the second, so B, trying at 50 s, finds it held."""
    journal_n(engine, 20)
    chain = FakeChain()
    clock = Clock(T0)
    b_took: list[bool] = []

    def slow(point: str, _batch: AnchorBatch) -> None:
        if point == "confirmed":
            clock.at += timedelta(seconds=25)
            if clock.at == T0 + timedelta(seconds=50):
                b_took.append(_worker(engine, chain, "b", Clock(clock.at)).acquire())

    a = _worker(engine, chain, "a", clock, hook=slow, confirmations=2)
    a.step(force_cut=True)
    a.step(force_cut=True)
    assert [r[1] for r in _rows(engine)] == [BatchStatus.sent] * 2
    chain.head += 1
    assert a.step() is True
    assert b_took == [False]
    assert [r[1] for r in _rows(engine)] == [BatchStatus.confirmed] * 2
    assert _lease(engine) == ("a", 1)
