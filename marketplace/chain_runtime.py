"""Plugging the chain and the anchoring worker into a Runtime.

The chain is connected at start when it answers; when it does not, start-up goes on, the
runtime's ``chain_id`` stays None until the first successful connection (made by the worker, or
by a /health probe when no worker runs in this process), and /health reports ``degraded``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from ledger import journal
from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.chain import ETH_TESTER_SCHEME
from ledger.chain.base import AnchorChain, ChainError, ChainUnavailable
from ledger.connection import ChainHandle
from marketplace.runtime import Runtime
from marketplace.settings import Settings

log = logging.getLogger(__name__)


def anchor_config(settings: Settings) -> AnchorConfig:
    """The worker's configuration. On ``eth-tester://`` (one node, blocks mined only by
    transactions, nothing to reorg) a batch is final once mined: confirmations are 1 there."""
    confirmations = settings.anchor_confirmations
    if settings.chain_url.startswith(ETH_TESTER_SCHEME) and confirmations > 1:
        log.warning(
            "DATABOURSE_ANCHOR_CONFIRMATIONS=%d is ignored on the in-process EVM (%s): it mines "
            "blocks only for transactions and never reorgs, so a mined batch is final",
            confirmations,
            settings.chain_url,
            extra={"fields": {"anchor_confirmations": confirmations}},
        )
        confirmations = 1
    return AnchorConfig(
        batch_entries_max=settings.anchor_batch_entries_max,
        batch_age_s=settings.anchor_batch_age_s,
        confirmations=confirmations,
        poll_s=settings.anchor_poll_s,
        lease_s=settings.anchor_lease_s,
    )


def chain_handle(runtime: Runtime) -> ChainHandle:
    settings = runtime.settings
    return ChainHandle(
        runtime.engine,
        settings.chain_url,
        recorder_key=settings.anchor_recorder_key.get_secret_value(),
        contract_address=settings.anchor_contract_address,
    )


def _chain_source(runtime: Runtime, handle: ChainHandle) -> AnchorChain:
    chain = handle.get()
    if runtime.chain_id is None:
        runtime.chain_id = chain.chain_id
        runtime.contract_address = chain.contract_address
    return chain


def attach_chain(runtime: Runtime, *, start_worker: bool | None = None) -> None:
    """Connect the chain (best effort), register the ``chain`` health probe and, when
    ``worker_in_process``, start the anchoring worker thread. Never raises for a chain outage."""
    handle = chain_handle(runtime)
    runtime.chain = handle
    runtime.closers.append(handle.close)
    try:
        _chain_source(runtime, handle)
    except ChainError as exc:
        log.warning(
            "chain %s is unavailable at start (%s); anchoring will catch up",
            handle.url,
            exc,
            extra={"fields": {"chain_url": handle.url, "error": str(exc)[:300]}},
        )
    worker: AnchorWorker | None = None
    if runtime.settings.worker_in_process if start_worker is None else start_worker:
        worker = AnchorWorker(
            runtime.engine, lambda: _chain_source(runtime, handle), anchor_config(runtime.settings)
        )
        worker.start()
        runtime.worker = worker
        runtime.closers.append(worker.stop)
    runtime.probes["chain"] = OneReadAtATime(lambda: chain_probe(runtime, handle, worker))


class OneReadAtATime:
    """A chain probe that runs once at a time. /health is public and each read of a node that
    hangs lasts the RPC timeout; callers that find a read under way get the last report at once
    instead of each holding a request slot while they queue behind it. Before the first read
    has ended there is no last report: they wait for that read (at most ``FIRST_READ_WAIT_S``),
    all at once, and get its report."""

    FIRST_READ_WAIT_S = 60.0

    def __init__(self, probe: Callable[[], dict[str, Any]]) -> None:
        self._probe = probe
        self._reading = threading.Lock()
        self._read_once = threading.Event()
        self._last: dict[str, Any] = {
            "ok": False,
            "error": "chain unavailable",
            "detail": "the chain is being read; ask again in a few seconds",
        }

    def __call__(self) -> dict[str, Any]:
        if not self._reading.acquire(blocking=False):
            self._read_once.wait(self.FIRST_READ_WAIT_S)
            return self._last
        try:
            self._last = self._probe()
            return self._last
        finally:
            self._read_once.set()
            self._reading.release()


def chain_probe(
    runtime: Runtime, handle: ChainHandle, worker: AnchorWorker | None
) -> dict[str, Any]:
    """ok, chain id, block, last anchored seq and the anchoring lag (entries not anchored).
    Not ok while the chain cannot be read or the in-process worker's last step failed (e.g. its
    anchor reverts: ``error`` then carries the contract's decoded custom error)."""
    with Session(runtime.engine) as s:
        journal_seq, _ = journal.head(s)
    report: dict[str, Any] = {"journal_seq": journal_seq}
    if worker is not None:
        report["worker"] = {"running": True, "last_error": worker.state.last_error}
    try:
        chain = handle.connected or _chain_source(runtime, handle)
        last = chain.last_anchored_seq()
        report.update(
            ok=True,
            chain_id=chain.chain_id,
            contract=chain.contract_address,
            block=chain.block_number(),
            last_anchored_seq=last,
            anchor_lag=max(journal_seq - last, 0),
        )
    except ChainUnavailable as exc:
        report.update(ok=False, error="chain unavailable", detail=str(exc)[:200])
    except ChainError as exc:
        report.update(ok=False, error=type(exc).__name__, detail=str(exc)[:200])
    if worker is not None and worker.state.last_error is not None and report["ok"]:
        report.update(ok=False, error="anchoring failing", detail=worker.state.last_error[:400])
    return report
