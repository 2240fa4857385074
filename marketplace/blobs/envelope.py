"""Envelope encryption with a streaming AEAD.

Every revision gets a fresh 256-bit data key. The data key is wrapped (AES-256-GCM) by the
server master key and stored next to the revision's row; only ciphertext reaches the blob store.

Content is encrypted as a STREAM (Hoang, Reyhanitabar, Rogaway, Vizár 2015; the construction
age and Tink use): the plaintext is cut into fixed segments, each sealed with AES-256-GCM under

    nonce = prefix (8 random bytes) || segment counter (uint32, big endian)
    associated data = header || last-segment flag (one byte, 1 for the final segment)

so both directions stream in constant memory, and a reordered, dropped, duplicated or truncated
segment fails authentication. Only the final segment carries the flag, and there is always
one (empty for empty content), so cutting the stream at a segment boundary is detected too.

Blob layout: header (magic ``DBENC1``, 1 byte version, 4 bytes segment size, 8 bytes prefix),
then the sealed segments, each ``len(plaintext) + 16`` bytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from marketplace import limits

MAGIC: Final = b"DBENC1"
VERSION: Final = 1
PREFIX_BYTES: Final = 8
TAG_BYTES: Final = 16
KEY_BYTES: Final = 32
HEADER_BYTES: Final = len(MAGIC) + 1 + 4 + PREFIX_BYTES
COUNTER_MAX: Final = 2**32 - 1
WRAP_NONCE_BYTES: Final = 12


class DecryptionError(ValueError):
    """The ciphertext or the wrapped key was altered, truncated or is for another key."""


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap_key(master_key: bytes, data_key: bytes, context: bytes) -> bytes:
    """Seal ``data_key`` under ``master_key``; ``context`` (e.g. the blob key) is bound as
    associated data so that a wrapped key cannot be moved to another blob."""
    assert len(master_key) == KEY_BYTES
    assert len(data_key) == KEY_BYTES
    nonce = os.urandom(WRAP_NONCE_BYTES)
    return nonce + AESGCM(master_key).encrypt(nonce, data_key, b"databourse.wrap.v1|" + context)


def unwrap_key(master_key: bytes, wrapped: bytes, context: bytes) -> bytes:
    if len(wrapped) != WRAP_NONCE_BYTES + KEY_BYTES + TAG_BYTES:
        raise DecryptionError("the wrapped data key has the wrong length")
    nonce, sealed = wrapped[:WRAP_NONCE_BYTES], wrapped[WRAP_NONCE_BYTES:]
    try:
        return AESGCM(master_key).decrypt(nonce, sealed, b"databourse.wrap.v1|" + context)
    except InvalidTag as exc:
        raise DecryptionError("the data key does not unwrap under this master key") from exc


def _nonce(prefix: bytes, counter: int) -> bytes:
    if counter > COUNTER_MAX:
        raise ValueError("too many segments for one stream")
    return prefix + counter.to_bytes(4, "big")


class StreamEncryptor:
    """Feed plaintext in pieces of any size; get sealed bytes back. Holds at most one segment."""

    def __init__(self, data_key: bytes, segment_bytes: int = limits.envelope_segment_bytes) -> None:
        assert len(data_key) == KEY_BYTES
        assert 0 < segment_bytes < 2**32
        self._aead = AESGCM(data_key)
        self._segment_bytes = segment_bytes
        self._prefix = os.urandom(PREFIX_BYTES)
        self.header = MAGIC + bytes([VERSION]) + segment_bytes.to_bytes(4, "big") + self._prefix
        self._buffer = bytearray()
        self._counter = 0
        self._finished = False

    def _seal(self, plaintext: bytes, last: bool) -> bytes:
        aad = self.header + (b"\x01" if last else b"\x00")
        sealed = self._aead.encrypt(_nonce(self._prefix, self._counter), plaintext, aad)
        self._counter += 1
        return sealed

    def update(self, data: bytes) -> bytes:
        """Return the sealed segments that ``data`` completes (possibly none).

        A full segment is held back until more data arrives, because only then is it known
        not to be the last one."""
        assert not self._finished
        self._buffer += data
        out = bytearray()
        size = self._segment_bytes
        start = 0
        while len(self._buffer) - start > size:
            out += self._seal(bytes(self._buffer[start : start + size]), last=False)
            start += size
        if start:
            del self._buffer[:start]
        return bytes(out)

    def finish(self) -> bytes:
        """Seal the final segment (possibly empty)."""
        assert not self._finished
        self._finished = True
        sealed = self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        return sealed


def ciphertext_size(
    plaintext_bytes: int, segment_bytes: int = limits.envelope_segment_bytes
) -> int:
    segments = max(1, -(-plaintext_bytes // segment_bytes))
    return HEADER_BYTES + plaintext_bytes + segments * TAG_BYTES


def _read_exact(source: BinaryIO, n: int) -> bytes:
    parts: list[bytes] = []
    remaining = n
    while remaining:
        part = source.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def decrypt_stream(data_key: bytes, source: BinaryIO) -> Iterator[bytes]:
    """Yield the plaintext segment by segment; raise DecryptionError on any tampering.

    Callers must treat the plaintext as unauthenticated until the iterator ends cleanly."""
    header = _read_exact(source, HEADER_BYTES)
    if len(header) != HEADER_BYTES or not header.startswith(MAGIC) or header[6] != VERSION:
        raise DecryptionError("not a Databourse encrypted blob")
    segment_bytes = int.from_bytes(header[7:11], "big")
    if segment_bytes == 0:
        raise DecryptionError("the blob header is corrupt")
    prefix = header[11:]
    aead = AESGCM(data_key)
    sealed_bytes = segment_bytes + TAG_BYTES
    counter = 0
    current = _read_exact(source, sealed_bytes)
    while True:
        following = _read_exact(source, sealed_bytes) if len(current) == sealed_bytes else b""
        last = not following
        if len(current) < TAG_BYTES:
            raise DecryptionError("the encrypted blob is truncated")
        aad = header + (b"\x01" if last else b"\x00")
        try:
            plaintext = aead.decrypt(_nonce(prefix, counter), current, aad)
        except InvalidTag as exc:
            raise DecryptionError(
                f"segment {counter} failed authentication: the blob was altered or truncated"
            ) from exc
        if plaintext:
            yield plaintext
        if last:
            return
        counter += 1
        current = following


def decrypt_range(
    data_key: bytes, source: BinaryIO, plaintext_bytes: int, start: int, stop: int
) -> Iterator[bytes]:
    """Yield plaintext bytes ``[start, stop)`` of a blob whose plaintext is ``plaintext_bytes``
    long, seeking to the first segment that holds ``start`` (``source`` must be seekable): a
    resumed download costs what it serves, not what came before. Every segment read is
    authenticated with its position and its last-segment flag, as ``decrypt_stream`` does."""
    assert 0 <= start <= stop <= plaintext_bytes
    header = _read_exact(source, HEADER_BYTES)
    if len(header) != HEADER_BYTES or not header.startswith(MAGIC) or header[6] != VERSION:
        raise DecryptionError("not a Databourse encrypted blob")
    segment_bytes = int.from_bytes(header[7:11], "big")
    if segment_bytes == 0:
        raise DecryptionError("the blob header is corrupt")
    if start == stop:
        return
    prefix = header[11:]
    aead = AESGCM(data_key)
    segments = max(1, -(-plaintext_bytes // segment_bytes))
    first, last = start // segment_bytes, (stop - 1) // segment_bytes
    source.seek(HEADER_BYTES + first * (segment_bytes + TAG_BYTES))
    for index in range(first, last + 1):
        length = min(segment_bytes, plaintext_bytes - index * segment_bytes)
        sealed = _read_exact(source, length + TAG_BYTES)
        final = index == segments - 1
        aad = header + (b"\x01" if final else b"\x00")
        try:
            plaintext = aead.decrypt(_nonce(prefix, index), sealed, aad)
        except InvalidTag as exc:
            raise DecryptionError(
                f"segment {index} failed authentication: the blob was altered or truncated"
            ) from exc
        offset = index * segment_bytes
        yield plaintext[max(start - offset, 0) : min(stop - offset, len(plaintext))]
