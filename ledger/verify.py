"""Verifiers.

``verify_receipt`` checks one receipt using only the receipt and a chain: the entry's hash, its
inclusion proof, and that the root is anchored for that batch on that chain's contract.

``verify_journal`` re-derives the whole hash chain from the database, recomputes every batch
root from its entries, checks each root against the chain, and names the first bad seq.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from ledger.canonical import NotCanonicalizable, canonical_json, from_hex, keccak256, to_hex
from ledger.chain.base import AnchorChain, ChainError
from ledger.journal import ENTRY_FIELDS, HEAD_ID, entry_canonical_bytes, format_recorded_at
from ledger.limits import receipt_bytes_max, verify_chunk_rows
from ledger.merkle import MerkleTree, leaf_hash, process_proof
from ledger.models import ZERO_HASH_HEX, AnchorBatch, JournalHead
from ledger.trust import Pin, shown_address

__all__ = [
    "JournalReport",
    "Receipt",
    "ReceiptInvalid",
    "check_pin",
    "parse_receipt",
    "verify_journal",
    "verify_receipt",
]

RECEIPT_KEYS = frozenset({"entry", "entry_hash", "proof", "root", "batch", "anchor"})
BATCH_KEYS = frozenset({"id", "first_seq", "last_seq"})
ANCHOR_KEYS = frozenset({"chain_id", "contract", "tx_hash", "block_number"})
PROOF_LENGTH_MAX = 64  # a tree of 2**64 leaves


class ReceiptInvalid(Exception):
    """The receipt does not verify; the message is one line saying why."""


@dataclass(frozen=True)
class Receipt:
    entry: dict[str, Any]
    seq: int
    entry_hash: bytes
    proof: list[bytes]
    root: bytes
    batch_id: int
    first_seq: int
    last_seq: int
    chain_id: int
    contract: str
    tx_hash: bytes
    block_number: int


def _keys(obj: Any, keys: frozenset[str], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise ReceiptInvalid(f"malformed receipt: {where} must be a JSON object")
    missing, extra = sorted(keys - set(obj)), sorted(set(obj) - keys)
    wrong = ([f"missing keys {missing}"] if missing else []) + (
        [f"unexpected keys {extra}"] if extra else []
    )
    if wrong:
        raise ReceiptInvalid(f"malformed receipt: {where} has {' and '.join(wrong)}")
    return obj


def _uint(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
        raise ReceiptInvalid(f"malformed receipt: {where} must be a non-negative integer")
    return value


def _hex(value: Any, where: str, length: int) -> bytes:
    try:
        return from_hex(value, length)
    except ValueError:
        raise ReceiptInvalid(
            f"malformed receipt: {where} must be 0x-prefixed hex of {length} bytes"
        ) from None


def parse_receipt(data: bytes | str) -> Receipt:
    """Parse and shape-check a receipt; raise ``ReceiptInvalid`` with a one-line reason."""
    if len(data) > receipt_bytes_max:
        raise ReceiptInvalid(f"receipt is larger than {receipt_bytes_max} bytes")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ReceiptInvalid(f"receipt is not valid JSON (truncated?): {reason}") from None
    doc = _keys(doc, RECEIPT_KEYS, "the receipt")
    entry = _keys(doc["entry"], frozenset(ENTRY_FIELDS), "entry")
    batch = _keys(doc["batch"], BATCH_KEYS, "batch")
    anchor = _keys(doc["anchor"], ANCHOR_KEYS, "anchor")
    proof = doc["proof"]
    if not isinstance(proof, list) or len(proof) > PROOF_LENGTH_MAX:
        raise ReceiptInvalid("malformed receipt: proof must be a list of at most 64 hashes")
    contract = anchor["contract"]
    _hex(contract, "anchor.contract", 20)
    return Receipt(
        entry=entry,
        seq=_uint(entry["seq"], "entry.seq"),
        entry_hash=_hex(doc["entry_hash"], "entry_hash", 32),
        proof=[_hex(p, f"proof[{i}]", 32) for i, p in enumerate(proof)],
        root=_hex(doc["root"], "root", 32),
        batch_id=_uint(batch["id"], "batch.id"),
        first_seq=_uint(batch["first_seq"], "batch.first_seq"),
        last_seq=_uint(batch["last_seq"], "batch.last_seq"),
        chain_id=_uint(anchor["chain_id"], "anchor.chain_id"),
        contract=contract,
        tx_hash=_hex(anchor["tx_hash"], "anchor.tx_hash", 32),
        block_number=_uint(anchor["block_number"], "anchor.block_number"),
    )


def check_receipt_offline(receipt: Receipt) -> None:
    """Everything that needs no chain: the entry's hash and the proof up to the root."""
    try:
        computed = keccak256(canonical_json(receipt.entry))
    except NotCanonicalizable as exc:
        raise ReceiptInvalid(f"entry cannot be canonicalised: {exc}") from None
    if computed != receipt.entry_hash:
        raise ReceiptInvalid(
            f"entry hash mismatch: the entry hashes to {to_hex(computed)}, "
            f"the receipt says {to_hex(receipt.entry_hash)}"
        )
    if not receipt.first_seq <= receipt.seq <= receipt.last_seq:
        raise ReceiptInvalid(
            f"entry seq {receipt.seq} is outside batch {receipt.batch_id} "
            f"({receipt.first_seq}..{receipt.last_seq})"
        )
    leaf = leaf_hash(receipt.seq, receipt.entry_hash)
    if process_proof(leaf, receipt.proof) != receipt.root:
        raise ReceiptInvalid("bad proof: the inclusion proof does not lead to the receipt's root")


def check_pin(receipt: Receipt, pin: Pin) -> None:
    """A receipt that names another contract (or chain) than the pinned one is invalid, however
    well it verifies there: anyone can deploy a LedgerAnchor and anchor a forged root."""
    if not pin.names(receipt.contract):
        raise ReceiptInvalid(
            f"the receipt names contract {shown_address(receipt.contract)}, not the pinned "
            f"contract {pin.contract}"
        )
    if pin.chain_id is not None and pin.chain_id != receipt.chain_id:
        raise ReceiptInvalid(
            f"the receipt is for chain id {receipt.chain_id}, not the pinned chain {pin.chain_id}"
        )


def verify_receipt(
    receipt: Receipt, connect: Callable[[str], AnchorChain], pin: Pin | None = None
) -> str:
    """Verify ``receipt`` against ``pin`` (when given) and offline, then on the chain
    ``connect(contract_address)`` opens. Return a one-line summary; raise ``ReceiptInvalid``
    (one line) on any failure. Without a pin the receipt's own contract is trusted: say so."""
    if pin is not None:
        check_pin(receipt, pin)
    check_receipt_offline(receipt)
    try:
        chain = connect(receipt.contract)
    except ChainError as exc:
        raise ReceiptInvalid(f"cannot use the chain: {_line(exc)}") from None
    try:
        if chain.chain_id != receipt.chain_id:
            raise ReceiptInvalid(
                f"receipt is for chain id {receipt.chain_id}, but the chain is {chain.chain_id}"
            )
        try:
            onchain = chain.batch(receipt.batch_id)
            included = onchain is not None and chain.verify_inclusion(
                receipt.batch_id, receipt.seq, receipt.entry_hash, receipt.proof
            )
            tx = chain.tx_status(receipt.tx_hash)
        except ChainError as exc:
            raise ReceiptInvalid(
                f"contract {receipt.contract} cannot be read: {_line(exc)}"
            ) from None
        if onchain is None:
            raise ReceiptInvalid(
                f"batch {receipt.batch_id} is not anchored on contract {receipt.contract}"
            )
        if (onchain.root, onchain.first_seq, onchain.last_seq) != (
            receipt.root,
            receipt.first_seq,
            receipt.last_seq,
        ):
            raise ReceiptInvalid(
                f"root not anchored: contract batch {receipt.batch_id} has root "
                f"{to_hex(onchain.root)} for seq {onchain.first_seq}..{onchain.last_seq}"
            )
        if not included:
            raise ReceiptInvalid("the contract's verify() rejects the proof")
        if tx is None or not tx.succeeded or tx.block_number != receipt.block_number:
            raise ReceiptInvalid(
                f"anchor transaction {to_hex(receipt.tx_hash)} is not mined in block "
                f"{receipt.block_number}"
            )
        try:
            events = chain.anchored_in(receipt.tx_hash)
        except ChainError as exc:
            raise ReceiptInvalid(
                f"contract {receipt.contract} cannot be read: {_line(exc)}"
            ) from None
        if onchain not in events:
            raise ReceiptInvalid(
                f"anchor transaction {to_hex(receipt.tx_hash)} did not anchor batch "
                f"{receipt.batch_id} on contract {receipt.contract}"
            )
    finally:
        chain.close()
    return (
        f"valid: entry {receipt.seq} ({receipt.entry['kind']}, {receipt.entry['subject']}) is in "
        f"batch {receipt.batch_id} anchored on chain {receipt.chain_id} at "
        f"{receipt.contract}, block {receipt.block_number}"
    )


def _line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


# ------------------------------------------------------------------------------- whole journal


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


class _Bad(Exception):
    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq
        self.reason = reason


@dataclass(frozen=True)
class _Expected:
    """The contract (and chain) every batch must name, and whether it was "pinned" by the
    caller or is the "checked" chain's own."""

    pin: Pin
    how: str


@dataclass
class _Progress:
    entries: int = 0
    batches: int = 0
    batches_on_chain: int = 0


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
    expected = _Expected(pin, "pinned") if pin is not None else None
    if expected is None and chain is not None:
        expected = _Expected(Pin(chain.contract_address, chain.chain_id), "checked")
    progress = _Progress()
    bad_seq: int | None = None
    reason: str | None = None
    try:
        _walk(engine, chain, expected, chunk_rows, progress)
    except _Bad as bad:
        bad_seq, reason = bad.seq, bad.reason
    except ChainError as exc:
        reason = f"chain: {_line(exc)}"
    return JournalReport(
        entries=progress.entries,
        batches=progress.batches,
        elapsed_s=time.perf_counter() - started,
        first_bad_seq=bad_seq,
        reason=reason,
        batches_on_chain=progress.batches_on_chain,
    )


def _walk(
    engine: Engine,
    chain: AnchorChain | None,
    expected: _Expected | None,
    chunk_rows: int,
    progress: _Progress,
) -> None:
    # Read before the batch rows: a batch row is committed before its anchor is sent, so every
    # batch counted here has its row below, even while the worker keeps anchoring.
    batches_on_chain = chain.batch_count() if chain is not None else 0
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
                    raise _Bad(bad, f"entry {bad} is missing (next stored seq is {seq})")
                if prev_hash != prev:
                    raise _Bad(seq, f"entry {seq} does not chain to entry {seq - 1}")
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
                    raise _Bad(seq, f"entry {seq} was altered: its hash does not match")
                prev = entry_hash
                expected_seq += 1
                if batch_last >= 0:
                    leaves.append(leaf_hash(seq, digest))
                    if seq == batch_last:
                        _check_batch(batches[batch_index], leaves, chain, expected, progress)
                        batch_index += 1
                        batch_last = batches[batch_index][2] if batch_index < len(batches) else -1
                        leaves = []
            progress.entries = expected_seq - 1
    finally:
        chunks.close()
    last_seq = expected_seq - 1
    progress.entries = last_seq
    if batch_index < len(batches):
        b = batches[batch_index]
        raise _Bad(last_seq + 1, f"batch {b[0]} covers seq {b[1]}..{b[2]}, entries are missing")
    head_seq, head_hash = (0, ZERO_HASH_HEX) if head is None else (int(head[0]), head[1])
    if head_seq > last_seq:
        raise _Bad(last_seq + 1, f"entry {last_seq + 1} is missing (journal head is {head_seq})")
    if head_seq < last_seq:
        raise _Bad(head_seq + 1, f"entry {head_seq + 1} was inserted after the journal head")
    if head_hash != prev:
        raise _Bad(last_seq, f"entry {last_seq} differs from the journal head's hash")
    _check_no_batch_missing(chain, {int(b[0]) for b in batches}, batches_on_chain)


def _check_no_batch_missing(chain: AnchorChain | None, stored: set[int], on_chain: int) -> None:
    """Every batch the contract holds must be in the database: a copy whose newest anchored
    entries and their batch were deleted (the head rewound) is otherwise self-consistent."""
    if chain is None:
        return
    for batch_id in range(1, on_chain + 1):
        if batch_id not in stored:
            anchored = chain.batch(batch_id)
            first, last = (0, 0) if anchored is None else (anchored.first_seq, anchored.last_seq)
            raise _Bad(
                first,
                f"batch {batch_id} (seq {first}..{last}) is anchored on chain but missing from "
                "the database",
            )


def _check_batch(
    batch: Any,
    leaves: list[bytes],
    chain: AnchorChain | None,
    expected: _Expected | None,
    progress: _Progress,
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
            raise _Bad(first_seq, f"{where} {what}")
        if pin.chain_id is not None and chain_id != pin.chain_id:
            raise _Bad(
                first_seq, f"{where} names chain {chain_id}, not the {expected.how} {pin.chain_id}"
            )
    computed = to_hex(MerkleTree.build(leaves).root)
    if computed != root:
        raise _Bad(first_seq, f"{where} root mismatch")
    progress.batches += 1
    if chain is None or status == "pending":
        return
    onchain = chain.batch(batch_id)
    if onchain is None or (to_hex(onchain.root), onchain.first_seq, onchain.last_seq) != (
        root,
        first_seq,
        last_seq,
    ):
        raise _Bad(first_seq, f"{where} is not anchored on chain as stored")
    progress.batches_on_chain += 1
