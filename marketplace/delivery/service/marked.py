"""Marked copies: the bytes a transformed (fingerprinted) licence serves, made once and kept.

A transform is deterministic for one licence (``seams``), so its output is one file per licence;
making it again for every URL and every ``Range`` request cost a whole-file marking in memory
each time, on an endpoint that needs no login. Instead:

1. The first URL issued for a licence whose downloads are transformed runs the transform over
   the revision's plaintext once (``made``), hashing its output (SHA-256, size and chunk root,
   the revisions' recipe) and encrypting it segment by segment under a fresh data key into a
   new blob; the data key is wrapped by the master key, bound to the blob's key, as a
   revision's is (``blobs.envelope``).
2. The copy is recorded (``delivery_marked_copy``, one row per licence) in the issuing
   transaction, which holds the licence's lock: two URLs issued at once cannot both make it.
3. Every later URL of the licence finds it (``held_or_made``) and names its hash, and
   ``GET /downloads/{token}`` serves ranges of it with ``decrypt_range``, as it serves a
   revision: no download and no later URL runs the transform again.

The copy is kept for the licence's life and after: it is what the licence's
``delivery.served`` entries say was delivered. A transaction that rolls back after step 1
leaves a blob no row names; without its wrapped key it cannot be read.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import Session

from marketplace import limits
from marketplace.assets.content import ContentHasher
from marketplace.blobs.envelope import StreamEncryptor, new_data_key, wrap_key
from marketplace.blobs.store import BlobStore
from marketplace.delivery import repository
from marketplace.delivery.models import MarkedCopy


def held_or_made(
    session: Session,
    master_key: bytes,
    store: BlobStore,
    licence_id: int,
    marked: Iterator[bytes],
) -> MarkedCopy:
    """The licence's marked copy: the one kept (``marked`` is then never read), or one made
    from ``marked`` and recorded now (steps 1 and 2). The caller holds the licence's lock."""
    found = repository.marked_copy(session, licence_id)
    if found is not None:
        return found
    copy = made(master_key, store, licence_id, marked)
    repository.add(session, copy)
    return copy


def made(
    master_key: bytes, store: BlobStore, licence_id: int, marked: Iterator[bytes]
) -> MarkedCopy:
    """Step 1: ``marked`` hashed and encrypted into a new blob, under a data key of its own."""
    data_key = new_data_key()
    encryptor = StreamEncryptor(data_key)
    hasher = ContentHasher()
    with store.writer() as writer:
        writer.write(encryptor.header)
        for piece in _pieces(marked):
            hasher.update(piece)
            writer.write(encryptor.update(piece))
        writer.write(encryptor.finish())
        blob_key = writer.digest()
        writer.commit()
    identity = hasher.finish()
    return MarkedCopy(
        licence_id=licence_id,
        blob_key=blob_key,
        wrapped_key=wrap_key(master_key, data_key, blob_key.encode()),
        sha256=identity.sha256,
        size_bytes=identity.size_bytes,
        chunk_root=identity.chunk_root,
    )


def _pieces(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks cut to at most one encrypted segment: a transform may yield the whole table
    at once, and the hasher and the encryptor each copy what they are given."""
    size = limits.envelope_segment_bytes
    for chunk in chunks:
        view = memoryview(chunk)
        for start in range(0, len(view), size):
            yield bytes(view[start : start + size])


def marked_copy_blob_keys(session: Session) -> set[str]:
    """The blob keys marked copies hold (``blobs.sweep`` deletes no blob named here)."""
    return repository.marked_copy_blob_keys(session)
