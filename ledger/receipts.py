"""Receipts: an entry, its inclusion proof, its batch root and where the root is anchored.

A receipt is everything a third party needs to check one entry against the chain::

    {"entry": {...}, "entry_hash": "0x…", "proof": ["0x…", …], "root": "0x…",
     "batch": {"id": n, "first_seq": n, "last_seq": n},
     "anchor": {"chain_id": n, "contract": "0x…", "tx_hash": "0x…", "block_number": n}}
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from ledger.canonical import from_hex, to_hex
from ledger.errors import EntryNotFound, NotAnchored
from ledger.journal import entry_document
from ledger.merkle import MerkleTree, leaf_hash
from ledger.models import AnchorBatch, BatchStatus, JournalEntry

__all__ = ["batch_of", "build_receipt", "tree_of"]

_TREES_CACHED_MAX = 4  # a 65,536-entry tree is ~13 MB of nodes; keep a few hot ones
_trees: OrderedDict[tuple[int, str], MerkleTree] = OrderedDict()
_trees_lock = threading.Lock()


def batch_of(session: Session, seq: int) -> AnchorBatch | None:
    return session.execute(
        select(AnchorBatch).where(
            col(AnchorBatch.first_seq) <= seq,
            col(AnchorBatch.last_seq) >= seq,
        )
    ).scalar_one_or_none()


def tree_of(session: Session, batch: AnchorBatch) -> MerkleTree:
    """The batch's tree, rebuilt from its entries (and checked against the stored root)."""
    key = (batch.id, batch.root)
    with _trees_lock:
        tree = _trees.get(key)
        if tree is not None:
            _trees.move_to_end(key)
            return tree
    rows = session.execute(
        select(col(JournalEntry.seq), col(JournalEntry.entry_hash))
        .where(col(JournalEntry.seq) >= batch.first_seq, col(JournalEntry.seq) <= batch.last_seq)
        .order_by(col(JournalEntry.seq))
    ).all()
    assert len(rows) == batch.last_seq - batch.first_seq + 1, "batch has missing entries"
    tree = MerkleTree.build([leaf_hash(int(seq), from_hex(h)) for seq, h in rows])
    assert to_hex(tree.root) == batch.root, f"batch {batch.id} root does not match its entries"
    with _trees_lock:
        _trees[key] = tree
        while len(_trees) > _TREES_CACHED_MAX:
            _trees.popitem(last=False)
    return tree


def build_receipt(session: Session, seq: int) -> dict[str, Any]:
    """The receipt of entry ``seq``. Raises ``EntryNotFound`` or ``NotAnchored``."""
    entry = session.get(JournalEntry, seq)
    if entry is None:
        raise EntryNotFound(f"no journal entry has seq {seq}")
    batch = batch_of(session, seq)
    if batch is None or batch.status != BatchStatus.confirmed or batch.block_number is None:
        state = "not in a batch yet" if batch is None else f"batch {batch.id} is {batch.status}"
        raise NotAnchored(f"entry {seq} is not anchored yet ({state}); retry shortly")
    tree = tree_of(session, batch)
    proof = tree.proof(leaf_hash(seq, from_hex(entry.entry_hash)))
    return {
        "entry": entry_document(entry),
        "entry_hash": entry.entry_hash,
        "proof": [to_hex(node) for node in proof],
        "root": batch.root,
        "batch": {"id": batch.id, "first_seq": batch.first_seq, "last_seq": batch.last_seq},
        "anchor": {
            "chain_id": batch.chain_id,
            "contract": batch.contract,
            "tx_hash": batch.tx_hash,
            "block_number": batch.block_number,
        },
    }
