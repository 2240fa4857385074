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
PostgreSQL). While the chain is unreachable the worker backs off (bounded) and the journal keeps
growing; it catches up when the chain returns.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from ledger import limits
from ledger.canonical import from_hex, to_hex
from ledger.chain.base import (
    AnchorChain,
    AnchorRejected,
    ChainError,
    ChainUnavailable,
    SignedAnchor,
    TxStatus,
)
from ledger.errors import AnchorConflict, AnchorReverted
from ledger.merkle import MerkleTree, leaf_hash
from ledger.models import AnchorBatch, BatchStatus, JournalEntry, WorkerLease, utc_now

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


def _fields(batch: AnchorBatch, **more: Any) -> dict[str, Any]:
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


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


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
    ) -> None:
        self.engine = engine
        self._chain_source = chain
        self.config = config or AnchorConfig()
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._hook = hook
        self.state = WorkerState()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ loop

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or self._stop
        backoff = limits.anchor_backoff_s_min
        while not stop.is_set():
            try:
                progressed = self.step()
                backoff = limits.anchor_backoff_s_min
                self.state.chain_ok = True
                self.state.last_error = None
                self.state.backoff_s = 0.0
                wait = 0.0 if progressed else self.config.poll_s
            except ChainUnavailable as exc:
                self.state.chain_ok = False
                self.state.last_error = f"chain unavailable: {exc}"
                log.warning(
                    "anchoring paused, chain unavailable; retry in %.1fs",
                    backoff,
                    extra={"fields": {"backoff_s": backoff, "error": str(exc)[:300]}},
                )
                wait, backoff = backoff, min(backoff * 2, limits.anchor_backoff_s_max)
                self.state.backoff_s = wait
            except AnchorReverted as exc:  # logged where detected, with the batch's fields
                self.state.chain_ok = True
                self.state.last_error = f"anchor reverted: {exc}"
                wait, backoff = backoff, min(backoff * 2, limits.anchor_backoff_s_max)
                self.state.backoff_s = wait
            except AnchorConflict as exc:
                self.state.last_error = f"conflict: {exc}"
                log.error(  # noqa: TRY400 -- a conflict is expected, not a bug: no traceback
                    "anchoring stopped by a conflict: %s",
                    exc,
                    extra={"fields": {"error": str(exc)}},
                )
                wait = limits.anchor_backoff_s_max
            except Exception as exc:
                self.state.last_error = f"{type(exc).__name__}: {exc}"
                log.exception(
                    "anchoring step failed; retry in %.1fs",
                    backoff,
                    extra={"fields": {"backoff_s": backoff}},
                )
                wait, backoff = backoff, min(backoff * 2, limits.anchor_backoff_s_max)
            stop.wait(wait)
        self.release()

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
        with Session(self.engine) as s:
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

    # ----------------------------------------------------------------- lease

    def acquire(self) -> bool:
        """Take or renew the worker lease; False when another live worker holds it."""
        now = utc_now()
        with Session(self.engine) as s:
            dialect = s.get_bind().dialect.name
            values = {"name": LEASE_NAME, "holder": None, "expires_at": None}
            if dialect == "postgresql":
                s.execute(postgresql.insert(WorkerLease).values(values).on_conflict_do_nothing())
                lease = s.execute(
                    select(WorkerLease)
                    .where(col(WorkerLease.name) == LEASE_NAME)
                    .with_for_update(skip_locked=True)
                ).scalar_one_or_none()
            else:
                s.execute(sqlite.insert(WorkerLease).values(values).on_conflict_do_nothing())
                lease = s.get(WorkerLease, LEASE_NAME)
            if lease is None:  # another worker is renewing it right now
                s.rollback()
                return False
            free = (
                lease.holder in (None, self.holder)
                or lease.expires_at is None
                or _aware(lease.expires_at) < now
            )
            if not free:
                s.rollback()
                return False
            lease.holder = self.holder
            lease.expires_at = now + timedelta(seconds=self.config.lease_s)
            s.add(lease)
            s.commit()
            return True

    def release(self) -> None:
        try:
            with Session(self.engine) as s:
                s.execute(
                    update(WorkerLease)
                    .where(
                        col(WorkerLease.name) == LEASE_NAME, col(WorkerLease.holder) == self.holder
                    )
                    .values(holder=None, expires_at=None)
                )
                s.commit()
        except Exception:
            log.warning("could not release the worker lease", exc_info=True)

    # ------------------------------------------------------------------ step

    def step(self, *, force_cut: bool = False) -> bool:
        """One unit of work; True when something moved (call again at once)."""
        chain = self._chain_source()
        if not self.acquire():
            return False
        progressed = False
        for batch in self._unconfirmed():
            progressed = self._advance(chain, batch) or progressed
            if batch.status == BatchStatus.pending:
                return progressed  # batches are anchored in order: wait for this one
        cut = self._cut(chain, force=force_cut)
        if cut is not None:
            self._advance(chain, cut)
            progressed = True
        return progressed

    def _emit(self, point: str, batch: AnchorBatch) -> None:
        if self._hook is not None:
            self._hook(point, batch)

    def _unconfirmed(self) -> list[AnchorBatch]:
        with Session(self.engine, expire_on_commit=False) as s:
            return list(
                s.execute(
                    select(AnchorBatch)
                    .where(col(AnchorBatch.status) != BatchStatus.confirmed)
                    .order_by(col(AnchorBatch.id))
                )
                .scalars()
                .all()
            )

    def _save(self, batch: AnchorBatch, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(batch, name, value)
        with Session(self.engine, expire_on_commit=False) as s:
            s.execute(update(AnchorBatch).where(col(AnchorBatch.id) == batch.id).values(**changes))
            s.commit()

    def _cut(self, chain: AnchorChain, *, force: bool) -> AnchorBatch | None:
        """Step 1: build, sign and store the next batch (not yet sent)."""
        cfg = self.config
        with Session(self.engine) as s:
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
                .limit(cfg.batch_entries_max)
            ).all()
        age_s = (utc_now() - _aware(oldest)).total_seconds()
        if len(rows) < cfg.batch_entries_max and age_s < cfg.batch_age_s and not force:
            return None
        last_seq = int(rows[-1][0])
        assert int(rows[0][0]) == first_seq
        assert last_seq == first_seq + len(rows) - 1, "journal has a gap"
        anchored = chain.last_anchored_seq()
        if anchored != first_seq - 1:
            raise AnchorConflict(
                f"contract has anchored up to seq {anchored}, but this database's next batch "
                f"starts at seq {first_seq}"
            )
        tree = MerkleTree.build([leaf_hash(int(seq), from_hex(h)) for seq, h in rows])
        signed = chain.sign_anchor(tree.root, first_seq, last_seq)
        batch = AnchorBatch(
            id=batch_id,
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
        with Session(self.engine, expire_on_commit=False) as s:
            s.add(batch)
            s.commit()  # a racing worker that cut the same batch fails on the unique first_seq
        log.info("batch %d cut: seq %d..%d", batch_id, first_seq, last_seq, extra=_fields(batch))
        self._emit("stored", batch)
        return batch

    def _advance(self, chain: AnchorChain, batch: AnchorBatch) -> bool:
        if batch.status == BatchStatus.pending:
            return self._advance_pending(chain, batch)
        assert batch.status == BatchStatus.sent
        return self._advance_sent(chain, batch)

    def _mined(self, chain: AnchorChain, batch: AnchorBatch) -> TxStatus | None:
        """The receipt of whichever signing of this batch was mined successfully; else the
        current signing's receipt if it was mined but reverted; else None."""
        current = chain.tx_status(from_hex(batch.tx_hash, 32))
        if current is not None and current.succeeded:
            return current
        for tx_hash in filter(None, batch.prior_tx_hashes.split(",")):
            status = chain.tx_status(from_hex(tx_hash, 32))
            if status is not None and status.succeeded:
                return status
        return current

    def _check_on_chain(self, chain: AnchorChain, batch: AnchorBatch) -> None:
        onchain = chain.batch(batch.id)
        if onchain is None or (
            to_hex(onchain.root),
            onchain.first_seq,
            onchain.last_seq,
        ) != (batch.root, batch.first_seq, batch.last_seq):
            raise AnchorConflict(
                f"contract batch {batch.id} is {onchain!r}, but this database's batch {batch.id} "
                f"is seq {batch.first_seq}..{batch.last_seq} root {batch.root}"
            )

    def _advance_pending(self, chain: AnchorChain, batch: AnchorBatch) -> bool:
        """Step 2 and 3: send unless the contract already covers the batch; record when mined."""
        mined = self._mined(chain, batch)
        if mined is None or not mined.succeeded:
            anchored = chain.last_anchored_seq()
            if anchored >= batch.last_seq:
                # Anchored by a signing we cannot see mined (yet): never send again.
                self._check_on_chain(chain, batch)
                log.info(
                    "batch %d is anchored; waiting for its tx receipt",
                    batch.id,
                    extra=_fields(batch),
                )
                return False
            if anchored != batch.first_seq - 1:
                raise AnchorConflict(
                    f"contract has anchored up to seq {anchored}; batch {batch.id} needs "
                    f"{batch.first_seq - 1}"
                )
            if mined is not None:
                self._reverted(chain, batch, mined)
            if batch.polls >= self.config.resend_after_polls:
                self._reprice(chain, batch)
            if not self._simulate(chain, batch):
                return False  # the contract moved since it was read: look again next step
            self._broadcast(chain, batch)
            mined = self._mined(chain, batch)
            if mined is None:
                self._save(batch, polls=batch.polls + 1)
                return False
            if not mined.succeeded:
                self._reverted(chain, batch, mined)
        self._save(
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
            extra=_fields(batch, block_number=mined.block_number),
        )
        self._advance_sent(chain, batch)
        return True

    def _simulate(self, chain: AnchorChain, batch: AnchorBatch) -> bool:
        """True when the anchor would succeed now; False when the contract is no longer at
        ``first_seq - 1`` (usually: this batch's own transaction was just mined); otherwise
        raise ``AnchorReverted`` with the decoded error (nothing is sent)."""
        try:
            chain.check_anchor(from_hex(batch.root, 32), batch.first_seq, batch.last_seq)
        except AnchorRejected as exc:
            if exc.error_name == "AnchorNotContiguous":
                return False
            message = (
                f"batch {batch.id} (seq {batch.first_seq}..{batch.last_seq}): anchor would "
                f"revert with {exc}; not sent"
            )
            log.error(message, extra=_fields(batch, reason=str(exc)))  # noqa: TRY400
            raise AnchorReverted(message, str(exc)) from None
        return True

    def _reverted(self, chain: AnchorChain, batch: AnchorBatch, mined: TxStatus) -> NoReturn:
        """The current signing was mined and reverted (its nonce is spent): log why, sign the
        batch afresh (sent by a later step, after a simulation succeeds) and back off."""
        assert not mined.succeeded
        try:
            chain.check_anchor(from_hex(batch.root, 32), batch.first_seq, batch.last_seq)
            reason = "unknown (a simulation now succeeds)"
        except AnchorRejected as exc:
            reason = str(exc)
        message = (
            f"batch {batch.id} (seq {batch.first_seq}..{batch.last_seq}): anchor tx "
            f"{batch.tx_hash} reverted in block {mined.block_number}: {reason}"
        )
        log.error(message, extra=_fields(batch, block_number=mined.block_number, reason=reason))
        self._replace_signing(batch, chain.sign_anchor(*self._anchor_args(batch)))
        raise AnchorReverted(message, reason)

    def _broadcast(self, chain: AnchorChain, batch: AnchorBatch) -> None:
        try:
            chain.send_raw(from_hex(batch.raw_tx))
        except ChainUnavailable:
            raise
        except ChainError as exc:
            # The node refuses this signing (nonce used, underpriced...): sign afresh.
            log.warning(
                "batch %d: node refused its tx (%s); re-signing",
                batch.id,
                exc,
                extra=_fields(batch),
            )
            self._replace_signing(batch, chain.sign_anchor(*self._anchor_args(batch)))
            chain.send_raw(from_hex(batch.raw_tx))
        self._emit("sent", batch)

    def _reprice(self, chain: AnchorChain, batch: AnchorBatch) -> None:
        """Replace a signing not mined after ``resend_after_polls`` polls: same nonce, higher
        fees. The earlier signing may still land: ``_mined`` looks for every one."""
        signings = 1 + len(list(filter(None, batch.prior_tx_hashes.split(","))))
        if signings > limits.anchor_replacements_max:
            log.warning(
                "batch %d: tx not mined after %d polls; fees not raised again (%d signings)",
                batch.id,
                batch.polls,
                signings,
                extra=_fields(batch, polls=batch.polls),
            )
            self._save(batch, polls=0)
            return
        old, polls = batch.tx_hash, batch.polls
        signed = chain.sign_replacement(from_hex(batch.raw_tx))
        assert signed.nonce == batch.nonce, (signed.nonce, batch.nonce)
        self._replace_signing(batch, signed)
        log.warning(
            "batch %d: tx %s not mined after %d polls; replaced with higher fees",
            batch.id,
            old,
            polls,
            extra=_fields(batch, replaced_tx_hash=old),
        )

    @staticmethod
    def _anchor_args(batch: AnchorBatch) -> tuple[bytes, int, int]:
        return from_hex(batch.root, 32), batch.first_seq, batch.last_seq

    def _replace_signing(self, batch: AnchorBatch, signed: SignedAnchor) -> None:
        """Make ``signed`` the batch's current signing; the old hash joins the prior ones."""
        prior = ",".join(filter(None, [*batch.prior_tx_hashes.split(","), batch.tx_hash]))
        self._save(
            batch,
            tx_hash=to_hex(signed.tx_hash),
            raw_tx=to_hex(signed.raw),
            nonce=signed.nonce,
            prior_tx_hashes=prior,
            polls=0,
        )

    def _advance_sent(self, chain: AnchorChain, batch: AnchorBatch) -> bool:
        """Step 4: confirm at depth, or go back to pending when a reorg dropped the tx."""
        assert batch.block_number is not None
        status = chain.tx_status(from_hex(batch.tx_hash, 32))
        if status is None or not status.succeeded:
            log.warning(
                "batch %d: tx %s left the chain (reorg); re-sending",
                batch.id,
                batch.tx_hash,
                extra=_fields(batch),
            )
            self._save(batch, status=BatchStatus.pending, block_number=None, polls=0)
            return True
        if status.block_number != batch.block_number:
            self._save(batch, block_number=status.block_number)
        depth = chain.block_number() - status.block_number + 1
        if depth < self.config.confirmations:
            return False
        self._check_on_chain(chain, batch)
        self._save(batch, status=BatchStatus.confirmed, confirmed_at=utc_now())
        self.state.batches_confirmed += 1
        self._emit("confirmed", batch)
        log.info(
            "batch %d confirmed in block %d",
            batch.id,
            status.block_number,
            extra=_fields(batch, block_number=status.block_number),
        )
        return True
