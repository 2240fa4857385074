"""The anchoring worker against an in-memory chain: batching, exactly-once, outages, reorgs."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.chain.base import ChainUnavailable
from ledger.errors import AnchorConflict
from ledger.models import AnchorBatch, BatchStatus
from tests.ledger.fake_chain import FakeChain
from tests.ledger.helpers import journal_n


class Crash(BaseException):
    """Stands for the process dying at a hook point."""


def _worker(
    engine: Engine, chain: FakeChain, *, holder: str | None = None, hook: Any = None
) -> AnchorWorker:
    config = AnchorConfig(batch_entries_max=10, batch_age_s=0, poll_s=0.01, lease_s=0.2)
    return AnchorWorker(engine, lambda: chain, config, holder=holder, hook=hook)


def _batches(engine: Engine) -> list[AnchorBatch]:
    with Session(engine) as s:
        return list(s.execute(select(AnchorBatch).order_by(AnchorBatch.id)).scalars())  # type: ignore[arg-type]


def test_tail_is_cut_into_bounded_batches_and_confirmed(engine: Engine) -> None:
    journal_n(engine, 25)
    chain = FakeChain()
    _worker(engine, chain).run_until_anchored(timeout_s=10)
    assert [(b.first_seq, b.last_seq) for b in chain.batches] == [(1, 10), (11, 20), (21, 25)]
    stored = _batches(engine)
    assert [b.status for b in stored] == [BatchStatus.confirmed] * 3
    assert [b.root for b in stored] == ["0x" + b.root.hex() for b in chain.batches]
    assert all(b.block_number for b in stored)


def test_young_partial_batch_waits_for_its_age(engine: Engine) -> None:
    journal_n(engine, 3)
    chain = FakeChain()
    config = AnchorConfig(batch_entries_max=10, batch_age_s=3600, poll_s=0.01)
    worker = AnchorWorker(engine, lambda: chain, config)
    assert worker.step() is False
    assert chain.batches == []


def test_batch_waits_for_confirmation_depth(engine: Engine) -> None:
    journal_n(engine, 2)
    chain = FakeChain()
    config = AnchorConfig(batch_entries_max=10, batch_age_s=0, confirmations=3, poll_s=0.01)
    worker = AnchorWorker(engine, lambda: chain, config)
    worker.step()
    assert [b.status for b in _batches(engine)] == [BatchStatus.sent]
    chain.head += 2
    worker.step()
    assert [b.status for b in _batches(engine)] == [BatchStatus.confirmed]


def test_crash_after_send_before_record_anchors_once(engine: Engine) -> None:
    journal_n(engine, 15)
    chain = FakeChain()

    def die_after_send(point: str, _batch: AnchorBatch) -> None:
        if point == "sent":
            raise Crash

    with pytest.raises(Crash):
        _worker(engine, chain, hook=die_after_send).step(force_cut=True)
    assert [b.status for b in _batches(engine)] == [BatchStatus.pending]
    _worker(engine, chain, holder="restarted").run_until_anchored(timeout_s=10)
    assert [(b.first_seq, b.last_seq) for b in chain.batches] == [(1, 10), (11, 15)]
    assert chain.sends == 2


def test_crash_after_store_before_send_sends_once(engine: Engine) -> None:
    journal_n(engine, 5)
    chain = FakeChain()

    def die_after_store(point: str, _batch: AnchorBatch) -> None:
        if point == "stored":
            raise Crash

    with pytest.raises(Crash):
        _worker(engine, chain, hook=die_after_store).step(force_cut=True)
    assert chain.batches == []
    _worker(engine, chain, holder="restarted").run_until_anchored(timeout_s=10)
    assert [(b.first_seq, b.last_seq) for b in chain.batches] == [(1, 5)]


def test_sent_but_unmined_tx_that_lands_later_is_recorded_not_resent(engine: Engine) -> None:
    journal_n(engine, 4)
    chain = FakeChain(automine=False)
    worker = _worker(engine, chain)
    worker.step(force_cut=True)
    chain.mine()
    worker.run_until_anchored(timeout_s=10)
    assert len(chain.batches) == 1
    assert chain.sends == 1


def test_chain_outage_raises_unavailable_and_nothing_is_lost(engine: Engine) -> None:
    journal_n(engine, 5)
    chain = FakeChain(down=True)
    worker = _worker(engine, chain)
    with pytest.raises(ChainUnavailable):
        worker.step()
    journal_n(engine, 7, start=5)  # business keeps journaling
    chain.down = False
    worker.run_until_anchored(timeout_s=10)
    assert chain.batches[-1].last_seq == 12


def test_reorg_that_drops_the_anchor_resends_it(engine: Engine) -> None:
    journal_n(engine, 4)
    chain = FakeChain()
    config = AnchorConfig(batch_entries_max=10, batch_age_s=0, confirmations=2, poll_s=0.01)
    worker = AnchorWorker(engine, lambda: chain, config)
    worker.step()
    assert [b.status for b in _batches(engine)] == [BatchStatus.sent]
    chain.reorg_last()
    chain.mempool.clear()  # the node forgot the tx: the worker must send it again
    worker.step()
    worker.step()
    chain.head += 1
    worker.run_until_anchored(timeout_s=10)
    assert len(chain.batches) == 1
    assert [b.status for b in _batches(engine)] == [BatchStatus.confirmed]


def test_reorg_with_nonce_taken_re_signs(engine: Engine) -> None:
    journal_n(engine, 4)
    chain = FakeChain()
    config = AnchorConfig(batch_entries_max=10, batch_age_s=0, confirmations=2, poll_s=0.01)
    worker = AnchorWorker(engine, lambda: chain, config)
    worker.step()
    first_tx = _batches(engine)[0].tx_hash
    chain.reorg_last()
    chain.mempool.clear()
    chain.used_nonces.add(0)  # another tx took the nonce
    worker.step()
    worker.step()
    chain.head += 1
    worker.run_until_anchored(timeout_s=10)
    (batch,) = _batches(engine)
    assert batch.tx_hash != first_tx
    assert first_tx in batch.prior_tx_hashes
    assert len(chain.batches) == 1


def test_contract_ahead_of_database_is_a_conflict(engine: Engine) -> None:
    journal_n(engine, 3)
    chain = FakeChain()
    signed = chain.sign_anchor(b"\x01" * 32, 1, 2)
    chain.send_raw(signed.raw)
    with pytest.raises(AnchorConflict):
        _worker(engine, chain).step(force_cut=True)


def test_only_one_of_two_workers_holds_the_lease(engine: Engine) -> None:
    chain = FakeChain()
    a, b = _worker(engine, chain, holder="a"), _worker(engine, chain, holder="b")
    assert a.acquire() is True
    assert b.acquire() is False
    a.release()
    assert b.acquire() is True


def test_worker_thread_anchors_in_the_background(engine: Engine) -> None:
    journal_n(engine, 3)
    chain = FakeChain()
    worker = _worker(engine, chain)
    worker.start()
    try:
        import time

        deadline = time.monotonic() + 10
        while not worker.all_confirmed() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
    assert chain.batches[-1].last_seq == 3
