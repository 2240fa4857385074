"""Merkle trees compatible with OpenZeppelin's ``StandardMerkleTree`` for leaves
``(uint64 seq, bytes32 entryHash)``.

leaf = keccak256(keccak256(abi.encode(uint64 seq, bytes32 entryHash))); leaves are sorted by
hash; the tree is a complete binary tree in array form (leaves at the end, in reverse order),
and each node hashes its two children in sorted order. Proofs verify with OpenZeppelin's
``MerkleProof.verify`` and with ``StandardMerkleTree.verify`` in JavaScript.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger.canonical import keccak256

UINT64_MAX = 2**64 - 1


def leaf_hash(seq: int, entry_hash: bytes) -> bytes:
    """keccak256(bytes.concat(keccak256(abi.encode(uint64 seq, bytes32 entry_hash))))."""
    assert 0 <= seq <= UINT64_MAX, seq
    assert len(entry_hash) == 32
    encoded = seq.to_bytes(32, "big") + entry_hash
    return keccak256(keccak256(encoded))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak256(a + b) if a < b else keccak256(b + a)


@dataclass(frozen=True)
class MerkleTree:
    """A built tree. ``nodes`` is OpenZeppelin's array layout; ``position`` maps a leaf hash to
    its node index."""

    nodes: tuple[bytes, ...]
    position: dict[bytes, int]

    @classmethod
    def build(cls, leaves: Sequence[bytes]) -> MerkleTree:
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        ordered = sorted(leaves)
        n = len(ordered)
        nodes: list[bytes] = [b""] * (2 * n - 1)
        for i, leaf in enumerate(ordered):
            nodes[len(nodes) - 1 - i] = leaf
        for i in range(len(nodes) - 1 - n, -1, -1):
            nodes[i] = hash_pair(nodes[2 * i + 1], nodes[2 * i + 2])
        position = {nodes[len(nodes) - 1 - i]: len(nodes) - 1 - i for i in range(n)}
        if len(position) != n:
            raise ValueError("duplicate leaves")
        return cls(tuple(nodes), position)

    @property
    def root(self) -> bytes:
        return self.nodes[0]

    def proof(self, leaf: bytes) -> list[bytes]:
        index = self.position.get(leaf)
        if index is None:
            raise KeyError("leaf is not in the tree")
        path: list[bytes] = []
        while index > 0:
            sibling = index - 1 if index % 2 == 0 else index + 1
            path.append(self.nodes[sibling])
            index = (index - 1) // 2
        return path


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    computed = leaf
    for node in proof:
        computed = hash_pair(computed, node)
    return computed


def verify_proof(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    return process_proof(leaf, proof) == root
