"""Verifying the whole journal: run the walk over entries and batches, and report what was
checked and the first bad seq with the reason."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from ledger.chain.base import AnchorChain, ChainError
from ledger.errors import first_line
from ledger.limits import verify_chunk_rows
from ledger.trust import Pin
from ledger.verify.walk import BadSeq, Expected, Progress, walk


@dataclass(frozen=True)
class JournalReport:
    entries: int
    batches: int
    elapsed_s: float
    first_bad_seq: int | None = None
    reason: str | None = None
    batches_on_chain: int = 0  # batches whose root and range were read back from the contract

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None and self.reason is None

    @property
    def entries_per_s(self) -> float:
        return self.entries / self.elapsed_s if self.elapsed_s > 0 else 0.0


def verify_journal(
    engine: Engine,
    chain: AnchorChain | None,
    *,
    pin: Pin | None = None,
    chunk_rows: int = verify_chunk_rows,
) -> JournalReport:
    """Re-derive every entry's hash and the chain of prev_hash links, recompute every batch root
    and compare it with the database and (when ``chain`` is given) the contract.

    Every batch must name the pinned contract (and chain), or without a pin the contract of
    ``chain``: a database whose batches name another contract does not verify."""
    started = time.perf_counter()
    expected = Expected(pin, "pinned") if pin is not None else None
    if expected is None and chain is not None:
        expected = Expected(Pin(chain.contract_address, chain.chain_id), "checked")
    progress = Progress()
    bad_seq: int | None = None
    reason: str | None = None
    try:
        walk(engine, chain, expected, chunk_rows, progress)
    except BadSeq as bad:
        bad_seq, reason = bad.seq, bad.reason
    except ChainError as exc:
        reason = f"chain: {first_line(exc)}"
    return JournalReport(
        entries=progress.entries,
        batches=progress.batches,
        elapsed_s=time.perf_counter() - started,
        first_bad_seq=bad_seq,
        reason=reason,
        batches_on_chain=progress.batches_on_chain,
    )
