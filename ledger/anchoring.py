"""The anchoring worker: cuts the unanchored tail of the journal into batches, anchors each
batch's Merkle root on chain exactly once, and follows it to confirmation.

Protocol (each numbered step is crash-safe; the contract's contiguity rule is the backstop):

1. Cut: read the tail after the last batch (at most ``batch_entries_max`` entries, and only when
   full or when its oldest entry is ``batch_age_s`` old), build the tree, sign the anchor
   transaction locally (its hash is known before sending), and commit the batch row with the
   hash and the raw transaction. Nothing is on chain yet.
2. Send: read the contract's ``last_anchored_seq``. If it already covers the batch (a previous
   worker sent it and crashed before recording), only record where it landed. If it equals
   ``first_seq - 1``, simulate the anchor (a revert, e.g. a recorder without RECORDER_ROLE,
   raises ``AnchorReverted`` with the decoded custom error and nothing is sent) and broadcast the
   stored raw transaction (idempotent). A transaction still not mined after
   ``resend_after_polls`` polls is replaced (same nonce, fees + 12.5 %); a signing mined but
   reverted is re-signed with a fresh nonce. Anything else is an ``AnchorConflict``: this
   database and the contract disagree, and the worker stops anchoring.
3. Mined: record the block number, status ``sent``.
4. Confirmed: once the block is ``confirmations`` deep and the contract holds this batch's root.
   If the transaction vanished (reorg), the batch goes back to ``pending``: step 2 re-sends it,
   or re-signs with a fresh nonce when the node refuses the old transaction.

Several workers may run: a lease row in the database lets one act at a time (``SKIP LOCKED`` on
PostgreSQL). The worker renews it before each batch it works on; should a step still outlive it
(a chain call that hangs, a paused process) and another worker take over, the lease's epoch has
moved on and every write of the stale worker is refused (``LeaseLost``): batch rows only move
forward, under the current holder. While the chain is unreachable the worker backs off
(bounded) and the journal keeps growing; it catches up when the chain returns.

Where the pieces live: this module holds the protocol (``AnchorWorker``, one method per step);
``ledger/submission.py`` sends a batch's transaction and follows its signings (steps 2 and 3);
``ledger/batches.py`` reads and writes the batch rows, each write committed on its own;
``ledger/lease.py`` holds the lease.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from ledger import batches, limits, submission
from ledger.batches import log_fields
from ledger.canonical import from_hex, to_hex
from ledger.chain.base import AnchorChain, ChainUnavailable, TxStatus
from ledger.errors import AnchorConflict, AnchorReverted, LeaseLost, first_line
from ledger.lease import Clock, Lease, acquire_lease, release_lease
from ledger.merkle import MerkleTree, leaf_hash
from ledger.models import AnchorBatch, BatchStatus, as_utc, utc_now

log = logging.getLogger(__name__)

LEASE_NAME = "anchor"

ChainSource = Callable[[], AnchorChain]
Hook = Callable[[str, AnchorBatch], None]


@dataclass(frozen=True)
class AnchorConfig:
    batch_entries_max: int = 65_536
    batch_age_s: float = 5.0
    confirmations: int = 1
    poll_s: float = 1.0
    lease_s: float = limits.anchor_lease_s
    resend_after_polls: int = limits.anchor_resend_after_polls

    def __post_init__(self) -> None:
        assert self.batch_entries_max >= 1
        assert self.batch_age_s >= 0
        assert self.confirmations >= 1
        assert self.poll_s > 0
        assert self.lease_s > 0
        assert self.resend_after_polls >= 1


@dataclass
class WorkerState:
    """What the worker last saw; read by health probes (plain values, safe across threads)."""

    last_error: str | None = None
    chain_ok: bool | None = None
    batches_confirmed: int = 0
    backoff_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class AnchorWorker:
    """One anchoring worker. ``step()`` does one unit of work; ``run()`` loops with back-off;
    ``start()``/``stop()`` run it in a daemon thread (the in-process mode)."""

    def __init__(
        self,
        engine: Engine,
        chain: ChainSource,
        config: AnchorConfig | None = None,
        *,
        holder: str | None = None,
        hook: Hook | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.engine = engine
        self._chain_source = chain
        self.config = config or AnchorConfig()
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._hook = hook
        self._clock = clock
        self._lease: Lease | None = None
        self.state = WorkerState()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._backoff_s = limits.anchor_backoff_s_min

    # ------------------------------------------------------------------ loop

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or self._stop
        while not stop.is_set():
            stop.wait(self.tick())
        self.release()

    def tick(self) -> float:
        """One ``step()`` under the loop's error handling: an outage or a failure is recorded
        in ``state`` and backs off (doubling, bounded). The seconds to wait before the next
        tick: 0 while there is more to do at once."""
        try:
            progressed = self.step()
        except ChainUnavailable as exc:
            self.state.chain_ok = False
            self.state.last_error = f"chain unavailable: {first_line(exc)}"
            log.warning(
                "anchoring paused, chain unavailable; retry in %.1fs",
                self._backoff_s,
                extra={"fields": {"backoff_s": self._backoff_s, "error": str(exc)[:300]}},
            )
            return self._back_off()
        except AnchorReverted as exc:  # logged where detected, with the batch's fields
            self.state.chain_ok = True
            self.state.last_error = f"anchor reverted: {first_line(exc)}"
            return self._back_off()
        except LeaseLost as exc:  # another worker took over: its writes stand, ours did not
            self.state.last_error = f"lease lost: {first_line(exc)}"
            log.warning(
                "anchoring step abandoned: %s",
                exc,
                extra={"fields": {"holder": self.holder, "error": str(exc)[:300]}},
            )
            return self.config.poll_s
        except AnchorConflict as exc:
            self.state.last_error = f"conflict: {first_line(exc)}"
            log.error(  # noqa: TRY400 -- a conflict is expected, not a bug: no traceback
                "anchoring stopped by a conflict: %s",
                exc,
                extra={"fields": {"error": str(exc)}},
            )
            return limits.anchor_backoff_s_max
        except Exception as exc:
            # One line: a database error's text goes on with its SQL and parameters, and /health
            # (public) shows this.
            self.state.last_error = f"{type(exc).__name__}: {first_line(exc)}"
            log.exception(
                "anchoring step failed; retry in %.1fs",
                self._backoff_s,
                extra={"fields": {"backoff_s": self._backoff_s}},
            )
            return self._back_off()
        self._backoff_s = limits.anchor_backoff_s_min
        self.state.chain_ok = True
        self.state.last_error = None
        self.state.backoff_s = 0.0
        return 0.0 if progressed else self.config.poll_s

    def _back_off(self) -> float:
        """The wait after a failed tick; the next failure waits twice as long (bounded)."""
        wait = self._backoff_s
        self._backoff_s = min(wait * 2, limits.anchor_backoff_s_max)
        self.state.backoff_s = wait
        return wait

    def start(self) -> None:
        assert self._thread is None, "worker already started"
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="anchor-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def run_until_anchored(self, timeout_s: float = 60.0) -> None:
        """Step until every entry is in a confirmed batch (tests, benchmarks, CLI)."""
        deadline = time.monotonic() + timeout_s
        while True:
            progressed = self.step(force_cut=True)
            if not progressed and self.all_confirmed():
                return
            if time.monotonic() > deadline:
                raise TimeoutError("journal not anchored in time")
            if not progressed:
                time.sleep(min(self.config.poll_s, 0.05))

    def all_confirmed(self) -> bool:
        return batches.all_confirmed(self.engine)

    # ----------------------------------------------------------------- lease

    def acquire(self) -> bool:
        """Take or renew the worker lease; False when another live worker holds it."""
        self._lease = acquire_lease(
            self.engine, LEASE_NAME, self.holder, self.config.lease_s, now=self._clock()
        )
        return self._lease is not None

    def release(self) -> None:
        self._lease = None
        release_lease(self.engine, LEASE_NAME, self.holder)

    def _held(self) -> Lease:
        """The lease this step runs under (its epoch fences every write)."""
        if self._lease is None:
            raise LeaseLost(f"{self.holder} does not hold the anchoring lease")
        return self._lease

    def _renew(self) -> None:
        """Renew the lease within a step (before each batch), so that a step working through
        several batches does not outlive it; ``LeaseLost`` when another worker has taken it
        since the step began."""
        held = self._held()
        if not self.acquire() or self._held().epoch != held.epoch:
            self._lease = None
            raise LeaseLost(f"{self.holder} lost the anchoring lease (epoch {held.epoch})")

    # ------------------------------------------------------------------ step

    def step(self, *, force_cut: bool = False) -> bool:
        """One unit of work; True when something moved (call again at once)."""
        chain = self._chain_source()
        if not self.acquire():
            return False
        progressed = False
        unconfirmed = batches.unconfirmed(self.engine)
        for i, batch in enumerate(unconfirmed):
            if i:
                self._renew()
            progressed = self._advance(chain, batch) or progressed
            if batch.status == BatchStatus.pending:
                return progressed  # batches are anchored in order: wait for this one
        if unconfirmed:
            self._renew()
        cut = self._cut(chain, force=force_cut)
        if cut is not None:
            self._advance(chain, cut)
            progressed = True
        return progressed

    def _emit(self, point: str, batch: AnchorBatch) -> None:
        if self._hook is not None:
            self._hook(point, batch)

    def _cut(self, chain: AnchorChain, *, force: bool) -> AnchorBatch | None:
        """Step 1: build, sign and store the next batch (not yet sent)."""
        cfg = self.config
        tail = batches.unanchored_tail(self.engine, cfg.batch_entries_max)
        if tail is None:
            return None
        rows, first_seq = tail.rows, tail.first_seq
        age_s = (self._clock() - as_utc(tail.oldest_recorded_at)).total_seconds()
        if len(rows) < cfg.batch_entries_max and age_s < cfg.batch_age_s and not force:
            return None
        last_seq = rows[-1][0]
        assert rows[0][0] == first_seq
        assert last_seq == first_seq + len(rows) - 1, "journal has a gap"
        anchored = chain.last_anchored_seq()
        if anchored != first_seq - 1:
            raise AnchorConflict(
                f"contract has anchored up to seq {anchored}, but this database's next batch "
                f"starts at seq {first_seq}"
            )
        tree = MerkleTree.build([leaf_hash(seq, from_hex(h)) for seq, h in rows])
        signed = chain.sign_anchor(tree.root, first_seq, last_seq)
        batch = AnchorBatch(
            id=tail.batch_id,
            first_seq=first_seq,
            last_seq=last_seq,
            root=to_hex(tree.root),
            status=BatchStatus.pending,
            chain_id=chain.chain_id,
            contract=chain.contract_address,
            tx_hash=to_hex(signed.tx_hash),
            raw_tx=to_hex(signed.raw),
            nonce=signed.nonce,
        )
        batches.insert(self.engine, self._held(), batch)
        log.info("batch %d cut: seq %d..%d", batch.id, first_seq, last_seq, extra=log_fields(batch))
        self._emit("stored", batch)
        return batch

    def _advance(self, chain: AnchorChain, batch: AnchorBatch) -> bool:
        if batch.status == BatchStatus.pending:
            return self._advance_pending(chain, batch)
        assert batch.status == BatchStatus.sent
        return self._advance_sent(chain, batch)

    def _advance_pending(self, chain: AnchorChain, batch: AnchorBatch) -> bool:
        """Step 2 and 3: send unless the contract already covers the batch; record when mined."""
        mined = submission.mined_signing(chain, batch)
        if mined is None or not mined.succeeded:
            anchored = chain.last_anchored_seq()
            if anchored >= batch.last_seq:
                # Anchored by a signing we cannot see mined (yet): never send again.
                submission.check_on_chain(chain, batch)
                log.info(
                    "batch %d is anchored; waiting for its tx receipt",
                    batch.id,
                    extra=log_fields(batch),
                )
                return False
            if anchored != batch.first_seq - 1:
                raise AnchorConflict(
                    f"contract has anchored up to seq {anchored}; batch {batch.id} needs "
                    f"{batch.first_seq - 1}"
                )
            mined = self._send(chain, batch, mined)
            if mined is None:
                return False
        batches.save(
            self.engine,
            self._held(),
            batch,
            status=BatchStatus.sent,
            tx_hash=to_hex(mined.tx_hash),
            block_number=mined.block_number,
        )
        self._emit("mined", batch)
        log.info(
            "batch %d mined in block %d",
            batch.id,
            mined.block_number,
            extra=log_fields(batch, block_number=mined.block_number),
        )
        self._advance_sent(chain, batch)
        return True

    def _send(
        self, chain: AnchorChain, batch: AnchorBatch, mined: TxStatus | None
    ) -> TxStatus | None:
        """Step 2, the contract at ``first_seq - 1``: re-sign a signing mined but reverted,
        reprice one stuck unmined, simulate, broadcast. The mined signing, or None (not mined
        yet, or the contract moved since it was read: look again next step)."""
        if mined is not None:
            submission.resign_reverted(self.engine, self._held(), chain, batch, mined)
        if batch.polls >= self.config.resend_after_polls:
            submission.reprice(self.engine, self._held(), chain, batch)
        if not submission.simulate(chain, batch):
            return None
        submission.broadcast(self.engine, self._held(), chain, batch)
        self._emit("sent", batch)
        mined = submission.mined_signing(chain, batch)
        if mined is None:
            batches.save(self.engine, self._held(), batch, polls=batch.polls + 1)
            return None
        if not mined.succeeded:
            submission.resign_reverted(self.engine, self._held(), chain, batch, mined)
        return mined

    def _advance_sent(self, chain: AnchorChain, batch: AnchorBatch) -> bool:
        """Step 4: confirm at depth, or go back to pending when a reorg dropped the tx."""
        assert batch.block_number is not None
        status = chain.tx_status(from_hex(batch.tx_hash, 32))
        if status is None or not status.succeeded:
            log.warning(
                "batch %d: tx %s left the chain (reorg); re-sending",
                batch.id,
                batch.tx_hash,
                extra=log_fields(batch),
            )
            batches.save(
                self.engine,
                self._held(),
                batch,
                status=BatchStatus.pending,
                block_number=None,
                polls=0,
            )
            return True
        if status.block_number != batch.block_number:
            batches.save(self.engine, self._held(), batch, block_number=status.block_number)
        depth = chain.block_number() - status.block_number + 1
        if depth < self.config.confirmations:
            return False
        submission.check_on_chain(chain, batch)
        batches.save(
            self.engine,
            self._held(),
            batch,
            status=BatchStatus.confirmed,
            confirmed_at=self._clock(),
        )
        self.state.batches_confirmed += 1
        self._emit("confirmed", batch)
        log.info(
            "batch %d confirmed in block %d",
            batch.id,
            status.block_number,
            extra=log_fields(batch, block_number=status.block_number),
        )
        return True
