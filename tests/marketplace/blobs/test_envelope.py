import io
import os

import pytest

from marketplace.blobs.envelope import (
    HEADER_BYTES,
    TAG_BYTES,
    DecryptionError,
    StreamEncryptor,
    ciphertext_size,
    decrypt_stream,
    new_data_key,
    unwrap_key,
    wrap_key,
)

SEGMENT = 64


def _encrypt(key: bytes, plaintext: bytes, piece: int = 7) -> bytes:
    enc = StreamEncryptor(key, segment_bytes=SEGMENT)
    out = bytearray(enc.header)
    for i in range(0, len(plaintext), piece):
        out += enc.update(plaintext[i : i + piece])
    out += enc.finish()
    return bytes(out)


def _decrypt(key: bytes, blob: bytes) -> bytes:
    return b"".join(decrypt_stream(key, io.BytesIO(blob)))


@pytest.mark.parametrize("size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 5 * SEGMENT, 777])
def test_stream_round_trips_any_size(size: int) -> None:
    key = new_data_key()
    plaintext = os.urandom(size)
    blob = _encrypt(key, plaintext)
    assert len(blob) == ciphertext_size(size, SEGMENT)
    assert _decrypt(key, blob) == plaintext


def test_ciphertext_does_not_contain_the_plaintext() -> None:
    plaintext = b"secret,row\n" * 100
    blob = _encrypt(new_data_key(), plaintext)
    assert b"secret" not in blob


def test_truncation_at_a_segment_boundary_is_detected() -> None:
    key = new_data_key()
    blob = _encrypt(key, os.urandom(3 * SEGMENT + 5))
    cut = HEADER_BYTES + 2 * (SEGMENT + TAG_BYTES)
    with pytest.raises(DecryptionError):
        _decrypt(key, blob[:cut])


def test_truncation_inside_a_segment_is_detected() -> None:
    key = new_data_key()
    blob = _encrypt(key, os.urandom(3 * SEGMENT))
    with pytest.raises(DecryptionError):
        _decrypt(key, blob[:-3])


def test_reordered_segments_are_detected() -> None:
    key = new_data_key()
    blob = _encrypt(key, os.urandom(3 * SEGMENT + 1))
    seg = SEGMENT + TAG_BYTES
    first, second = (
        blob[HEADER_BYTES : HEADER_BYTES + seg],
        blob[HEADER_BYTES + seg : HEADER_BYTES + 2 * seg],
    )
    swapped = blob[:HEADER_BYTES] + second + first + blob[HEADER_BYTES + 2 * seg :]
    with pytest.raises(DecryptionError):
        _decrypt(key, swapped)


def test_a_flipped_bit_is_detected() -> None:
    key = new_data_key()
    blob = bytearray(_encrypt(key, os.urandom(100)))
    blob[HEADER_BYTES + 10] ^= 1
    with pytest.raises(DecryptionError):
        _decrypt(key, bytes(blob))


def test_the_wrong_key_is_refused() -> None:
    blob = _encrypt(new_data_key(), b"hello")
    with pytest.raises(DecryptionError):
        _decrypt(new_data_key(), blob)


def test_wrapped_key_unwraps_only_with_its_master_key_and_context() -> None:
    master, data_key = os.urandom(32), new_data_key()
    wrapped = wrap_key(master, data_key, b"blob-a")
    assert data_key not in wrapped
    assert unwrap_key(master, wrapped, b"blob-a") == data_key
    with pytest.raises(DecryptionError):
        unwrap_key(master, wrapped, b"blob-b")
    with pytest.raises(DecryptionError):
        unwrap_key(os.urandom(32), wrapped, b"blob-a")
