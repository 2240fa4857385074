import hashlib
import os

import pytest

from marketplace.assets.content import (
    ContentHasher,
    chunk_proof,
    leaf_hash,
    merkle_root,
    verify_chunk,
)

CHUNK = 16


def _chunks(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


@pytest.mark.parametrize("size", [0, 1, CHUNK, CHUNK + 1, 3 * CHUNK, 7 * CHUNK + 3, 100 * CHUNK])
def test_streamed_identity_matches_the_whole_file_computation(size: int) -> None:
    data = os.urandom(size)
    hasher = ContentHasher(chunk_bytes=CHUNK)
    for i in range(0, len(data), 5):
        hasher.update(data[i : i + 5])
    identity = hasher.finish()
    assert identity.sha256 == hashlib.sha256(data).hexdigest()
    assert identity.size_bytes == size
    assert identity.chunk_count == len(_chunks(data))
    assert identity.chunk_root == merkle_root([leaf_hash(c) for c in _chunks(data)]).hex()


def test_empty_content_has_the_rfc6962_empty_root() -> None:
    identity = ContentHasher(chunk_bytes=CHUNK).finish()
    assert identity.chunk_root == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
def test_every_chunk_proves_against_the_root(count: int) -> None:
    chunks = [os.urandom(CHUNK) for _ in range(count)]
    leaves = [leaf_hash(c) for c in chunks]
    root = merkle_root(leaves)
    for i, chunk in enumerate(chunks):
        proof = chunk_proof(leaves, i)
        assert verify_chunk(root, chunk, i, count, proof)
        assert not verify_chunk(root, chunk + b"x", i, count, proof)
        if count > 1:
            assert not verify_chunk(root, chunk, (i + 1) % count, count, proof)
