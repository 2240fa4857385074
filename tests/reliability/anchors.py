"""What the chain says was anchored, read from the contract's ``Anchored`` events, and the
checks every reliability suite makes of it: each batch anchored exactly once, contiguous from
seq 1, agreeing with the database, and the journal verifying end to end."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from ledger.chain import Web3AnchorChain
from ledger.models import AnchorBatch, BatchStatus, JournalEntry
from ledger.verify.report import verify_journal


def anchored_events(chain: Web3AnchorChain) -> list[tuple[int, int, int, str]]:
    """(batch id, first seq, last seq, root) of every ``Anchored`` event the contract emitted,
    in chain order."""
    contract: Any = chain.contract._contract
    events = contract.events.Anchored().get_logs(from_block=0, to_block="latest")
    return [
        (
            int(e["args"]["batchId"]),
            int(e["args"]["firstSeq"]),
            int(e["args"]["lastSeq"]),
            "0x" + bytes(e["args"]["root"]).hex(),
        )
        for e in events
    ]


def journal_last_seq(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.execute(select(func.max(col(JournalEntry.seq)))).scalar() or 0)


def assert_anchored_exactly_once(engine: Engine, chain: Web3AnchorChain) -> int:
    """Every journal entry is in exactly one confirmed batch, each batch was anchored by exactly
    one event with the database's root and range, and ``ledger verify`` passes. The number of
    batches."""
    events = anchored_events(chain)
    ids = [e[0] for e in events]
    assert ids == list(range(1, len(events) + 1)), f"batch ids on chain: {ids}"
    assert events[0][1] == 1, events[0]
    for before, after in itertools.pairwise(events):
        assert after[1] == before[2] + 1, f"gap or overlap between {before} and {after}"
    last_seq = journal_last_seq(engine)
    assert events[-1][2] == last_seq, f"anchored up to {events[-1][2]}, journal at {last_seq}"
    with Session(engine) as s:
        stored = s.execute(select(AnchorBatch).order_by(col(AnchorBatch.id))).scalars().all()
        rows = [(b.id, b.first_seq, b.last_seq, b.root, b.status) for b in stored]
    assert [r[:4] for r in rows] == events
    assert {r[4] for r in rows} == {BatchStatus.confirmed}
    report = verify_journal(engine, chain)
    assert report.ok, f"ledger verify: seq {report.first_bad_seq}: {report.reason}"
    assert (report.entries, report.batches_on_chain) == (last_seq, len(events))
    return len(events)
