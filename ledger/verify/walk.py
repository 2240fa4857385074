"""The walk over the journal: every entry in seq order (no gap, linked to the one before, its
hash as stored), every batch root recomputed from its entries and checked against the contract,
the journal head, and the batches the contract holds. The first failure raises ``BadSeq``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from ledger.canonical import keccak256, to_hex
from ledger.chain.base import AnchorChain
from ledger.journal import HEAD_ID, entry_canonical_bytes, format_recorded_at
from ledger.merkle import MerkleTree, leaf_hash
from ledger.models import ZERO_HASH_HEX, AnchorBatch, JournalHead
from ledger.trust import Pin, shown_address


class BadSeq(Exception):
    """The first seq at which the journal does not verify, and why."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq
        self.reason = reason


@dataclass(frozen=True)
class Expected:
    """The contract (and chain) every batch must name, and whether it was "pinned" by the
    caller or is the "checked" chain's own."""

    pin: Pin
    how: str


@dataclass
class Progress:
    entries: int = 0
    batches: int = 0
    batches_on_chain: int = 0


_ENTRY_SQL = (
    "SELECT seq, kind, subject, actor, payload_json, signature, recorded_at, prev_hash, "
    "entry_hash FROM journal_entry WHERE seq >= {lo} ORDER BY seq"
)


def _rows(engine: Engine, chunk_rows: int) -> Generator[Sequence[Any], None, None]:
    """Every entry in seq order, streamed in chunks of raw driver rows."""
    if engine.dialect.name == "sqlite":  # the driver's own cursor: no result wrapping per row
        raw = engine.raw_connection()
        try:
            dbapi_cursor = raw.cursor()
            dbapi_cursor.execute(_ENTRY_SQL.format(lo=1))
            while chunk := dbapi_cursor.fetchmany(chunk_rows):
                yield chunk
            dbapi_cursor.close()
        finally:
            raw.close()
        return
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, max_row_buffer=chunk_rows)
        cursor = result.exec_driver_sql(_ENTRY_SQL.format(lo=1))
        try:
            while chunk := cursor.fetchmany(chunk_rows):
                yield chunk
        finally:
            cursor.close()


def walk(
    engine: Engine,
    chain: AnchorChain | None,
    expected: Expected | None,
    chunk_rows: int,
    progress: Progress,
) -> None:
    """Check every entry and batch, then the head and the batches on chain; raise ``BadSeq`` at
    the first failure. ``progress`` counts what was checked so far."""
    # Read before the batch rows: a batch row is committed before its anchor is sent, so every
    # batch counted here has its row below, even while the worker keeps anchoring.
    batches_on_chain = chain.batch_count() if chain is not None else 0
    batches, head = _stored_batches_and_head(engine)
    check_batch = functools.partial(_check_batch, chain=chain, expected=expected, progress=progress)
    last_seq, last_hash, checked = _walk_entries(engine, chunk_rows, batches, check_batch, progress)
    if checked < len(batches):
        b = batches[checked]
        raise BadSeq(last_seq + 1, f"batch {b[0]} covers seq {b[1]}..{b[2]}, entries are missing")
    _check_head(head, last_seq, last_hash)
    _check_no_batch_missing(chain, {int(b[0]) for b in batches}, batches_on_chain)


def _stored_batches_and_head(engine: Engine) -> tuple[list[Any], Any]:
    """Every batch row (id, first_seq, last_seq, root, status, chain_id, contract) in seq order,
    and the journal head's (last_seq, last_hash) or None."""
    with engine.connect() as conn:
        batches: list[Any] = list(
            conn.execute(
                select(
                    col(AnchorBatch.id),
                    col(AnchorBatch.first_seq),
                    col(AnchorBatch.last_seq),
                    col(AnchorBatch.root),
                    col(AnchorBatch.status),
                    col(AnchorBatch.chain_id),
                    col(AnchorBatch.contract),
                ).order_by(col(AnchorBatch.first_seq))
            ).all()
        )
        head = conn.execute(
            select(col(JournalHead.last_seq), col(JournalHead.last_hash)).where(
                col(JournalHead.id) == HEAD_ID
            )
        ).first()
    return batches, head


def _walk_entries(
    engine: Engine,
    chunk_rows: int,
    batches: list[Any],
    check_batch: Callable[[Any, list[bytes]], None],
    progress: Progress,
) -> tuple[int, str, int]:
    """Check each entry in seq order: no gap, linked to the one before, its hash as stored; check
    each batch as soon as its last entry is read. Return the last seq, its hash, and how many
    batches were checked."""
    expected_seq = 1
    prev = ZERO_HASH_HEX
    batch_index = 0
    batch_last = batches[0][2] if batches else -1
    leaves: list[bytes] = []
    fmt = format_recorded_at
    canonical = entry_canonical_bytes
    chunks = _rows(engine, chunk_rows)
    try:
        for chunk in chunks:
            for seq, kind, subject, actor, payload, sig, recorded, prev_hash, entry_hash in chunk:
                if seq != expected_seq:
                    bad = expected_seq if seq > expected_seq else seq
                    raise BadSeq(bad, f"entry {bad} is missing (next stored seq is {seq})")
                if prev_hash != prev:
                    raise BadSeq(seq, f"entry {seq} does not chain to entry {seq - 1}")
                digest = keccak256(
                    canonical(
                        seq=seq,
                        kind=kind,
                        subject=subject,
                        actor=actor,
                        payload_json=payload,
                        signature=sig,
                        recorded_at=fmt(recorded),
                        prev_hash=prev_hash,
                    )
                )
                if "0x" + digest.hex() != entry_hash:
                    raise BadSeq(seq, f"entry {seq} was altered: its hash does not match")
                prev = entry_hash
                expected_seq += 1
                if batch_last >= 0:
                    leaves.append(leaf_hash(seq, digest))
                    if seq == batch_last:
                        check_batch(batches[batch_index], leaves)
                        batch_index += 1
                        batch_last = batches[batch_index][2] if batch_index < len(batches) else -1
                        leaves = []
            progress.entries = expected_seq - 1
    finally:
        chunks.close()
    progress.entries = expected_seq - 1
    return expected_seq - 1, prev, batch_index


def _check_head(head: Any, last_seq: int, last_hash: str) -> None:
    """The journal head names the last entry read, and its hash."""
    head_seq, head_hash = (0, ZERO_HASH_HEX) if head is None else (int(head[0]), head[1])
    if head_seq > last_seq:
        raise BadSeq(last_seq + 1, f"entry {last_seq + 1} is missing (journal head is {head_seq})")
    if head_seq < last_seq:
        raise BadSeq(head_seq + 1, f"entry {head_seq + 1} was inserted after the journal head")
    if head_hash != last_hash:
        raise BadSeq(last_seq, f"entry {last_seq} differs from the journal head's hash")


def _check_no_batch_missing(chain: AnchorChain | None, stored: set[int], on_chain: int) -> None:
    """Every batch the contract holds must be in the database: a copy whose newest anchored
    entries and their batch were deleted (the head rewound) is otherwise self-consistent."""
    if chain is None:
        return
    for batch_id in range(1, on_chain + 1):
        if batch_id not in stored:
            anchored = chain.batch(batch_id)
            first, last = (0, 0) if anchored is None else (anchored.first_seq, anchored.last_seq)
            raise BadSeq(
                first,
                f"batch {batch_id} (seq {first}..{last}) is anchored on chain but missing from "
                "the database",
            )


def _check_batch(
    batch: Any,
    leaves: list[bytes],
    chain: AnchorChain | None,
    expected: Expected | None,
    progress: Progress,
) -> None:
    """Check the contract and chain the batch names, its root, and the root on the contract
    unless the batch is pending."""
    batch_id, first_seq, last_seq, root, status, chain_id, contract = batch
    where = f"batch {batch_id} (seq {first_seq}..{last_seq})"
    if expected is not None:
        pin = expected.pin
        if not pin.names(contract):
            what = (
                f"names contract {shown_address(contract)}, not the {expected.how} {pin.contract}"
            )
            raise BadSeq(first_seq, f"{where} {what}")
        if pin.chain_id is not None and chain_id != pin.chain_id:
            raise BadSeq(
                first_seq, f"{where} names chain {chain_id}, not the {expected.how} {pin.chain_id}"
            )
    computed = to_hex(MerkleTree.build(leaves).root)
    if computed != root:
        raise BadSeq(first_seq, f"{where} root mismatch")
    progress.batches += 1
    if chain is None or status == "pending":
        return
    onchain = chain.batch(batch_id)
    if onchain is None or (to_hex(onchain.root), onchain.first_seq, onchain.last_seq) != (
        root,
        first_seq,
        last_seq,
    ):
        raise BadSeq(first_seq, f"{where} is not anchored on chain as stored")
    progress.batches_on_chain += 1
