"""Content identity of a revision: SHA-256 of the bytes, the size, and a chunk Merkle root.

The bytes are cut into fixed chunks (``content_chunk_bytes``, 1 MiB; the last may be shorter).
The chunk tree is RFC 6962's Merkle Tree Hash over SHA-256 with domain separation:

    leaf  = SHA-256(0x00 || chunk)
    node  = SHA-256(0x01 || left || right)
    MTH(D[0:n]) = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two below n

and the root of empty content is SHA-256(""). A buyer proves which bytes it received by showing
a chunk and its audit path; ``chunk_proof`` and ``verify_chunk`` implement both sides. The root
is computed in one pass with O(log n) memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from marketplace import limits


def leaf_hash(chunk: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + chunk).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass(frozen=True)
class ContentIdentity:
    sha256: str  # hex
    size_bytes: int
    chunk_root: str  # hex
    chunk_bytes: int
    chunk_count: int


class ContentHasher:
    """Feed bytes in pieces of any size; ``finish()`` gives the identity."""

    def __init__(self, chunk_bytes: int = limits.content_chunk_bytes) -> None:
        assert chunk_bytes > 0
        self._chunk_bytes = chunk_bytes
        self._sha = hashlib.sha256()
        self._size = 0
        self._pending = bytearray()
        # Perfect subtrees, left to right, with strictly decreasing sizes (a binary counter).
        self._stack: list[tuple[int, bytes]] = []
        self._leaves = 0
        self._done = False

    def _push_leaf(self, chunk: bytes) -> None:
        size, digest = 1, leaf_hash(chunk)
        while self._stack and self._stack[-1][0] == size:
            left_size, left = self._stack.pop()
            size, digest = left_size + size, node_hash(left, digest)
        self._stack.append((size, digest))
        self._leaves += 1

    def update(self, data: bytes) -> None:
        assert not self._done
        self._sha.update(data)
        self._size += len(data)
        self._pending += data
        size = self._chunk_bytes
        start = 0
        while len(self._pending) - start >= size:
            self._push_leaf(bytes(self._pending[start : start + size]))
            start += size
        if start:
            del self._pending[:start]

    def finish(self) -> ContentIdentity:
        assert not self._done
        self._done = True
        if self._pending:
            self._push_leaf(bytes(self._pending))
            self._pending.clear()
        if not self._stack:
            root = hashlib.sha256(b"").digest()
        else:
            root = self._stack[-1][1]
            for _, left in reversed(self._stack[:-1]):
                root = node_hash(left, root)
        return ContentIdentity(
            sha256=self._sha.hexdigest(),
            size_bytes=self._size,
            chunk_root=root.hex(),
            chunk_bytes=self._chunk_bytes,
            chunk_count=self._leaves,
        )


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 MTH over leaf hashes (recursive; for proofs and tests)."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def chunk_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` (RFC 6962 PATH), bottom up."""
    n = len(leaves)
    assert 0 <= index < n
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if index < k:
        return [*chunk_proof(leaves[:k], index), merkle_root(leaves[k:])]
    return [*chunk_proof(leaves[k:], index - k), merkle_root(leaves[:k])]


def verify_chunk(root: bytes, chunk: bytes, index: int, count: int, proof: Sequence[bytes]) -> bool:
    """RFC 9162 section 2.1.3.2 inclusion verification for chunk ``index`` of ``count``."""
    if not 0 <= index < count:
        return False
    fn, sn = index, count - 1
    digest = leaf_hash(chunk)
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            digest = node_hash(digest, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and digest == root
