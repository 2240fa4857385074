"""The pure parts of delivery: ranges, tokens, and decrypting a byte range of an encrypted blob
by seeking to its segments."""

from __future__ import annotations

import io
import os
import random
import string

import pytest

from marketplace.blobs.envelope import (
    DecryptionError,
    StreamEncryptor,
    decrypt_range,
    new_data_key,
)
from marketplace.delivery import ranges, tokens


def _sealed(plaintext: bytes, segment: int) -> tuple[bytes, bytes]:
    key = new_data_key()
    enc = StreamEncryptor(key, segment_bytes=segment)
    blob = enc.header + enc.update(plaintext) + enc.finish()
    return key, blob


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 64 * 7 + 13])
def test_decrypt_range_equals_slicing_the_plaintext(size: int) -> None:
    plaintext = os.urandom(size)
    key, blob = _sealed(plaintext, 64)
    rng = random.Random(size)
    cases = [(0, size), (size, size)] + [
        tuple(sorted((rng.randint(0, size), rng.randint(0, size)))) for _ in range(40)
    ]
    for start, stop in cases:
        got = b"".join(decrypt_range(key, io.BytesIO(blob), size, start, stop))
        assert got == plaintext[start:stop], (start, stop)


def test_decrypt_range_detects_tampering_and_truncation() -> None:
    plaintext = os.urandom(300)
    key, blob = _sealed(plaintext, 64)
    altered = bytearray(blob)
    altered[-5] ^= 1
    with pytest.raises(DecryptionError):
        b"".join(decrypt_range(key, io.BytesIO(bytes(altered)), 300, 250, 300))
    with pytest.raises(DecryptionError):  # the final segment cut off: the flag does not match
        b"".join(decrypt_range(key, io.BytesIO(blob[: -(300 - 256 + 16)]), 256, 200, 256))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", (0, 10)),
        ("bytes=10-", (10, 100)),
        ("bytes=-5", (95, 100)),
        ("bytes=-500", (0, 100)),
        ("bytes=90-500", (90, 100)),
        ("bytes = 0-0", (0, 1)),
        ("Bytes=0-9", (0, 10)),  # the unit is case-insensitive
        ("BYTES=-5", (95, 100)),
    ],
)
def test_ranges(header: str, expected: tuple[int, int]) -> None:
    assert ranges.parse(header, 100) == expected


@pytest.mark.parametrize(
    "header",
    [
        "bytes=100-", "bytes=5-2", "bytes=-0", "bytes=-", "bytes=0-1,3-4", "items=0-1", "",
        "bytes=1 0-2 0", "bytes=0-1 9", "bytes=- 1 2",  # a space inside a number is no number
    ],
)  # fmt: skip
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(ranges.BadRange):
        ranges.parse(header, 100)


def test_a_token_is_bound_to_its_key_and_nonce() -> None:
    key = tokens.url_key("s" * 32)
    token = tokens.issue(key, licence_id=3, download_id=9, expires_s=2_000_000_000, nonce="ab")
    claims = tokens.parse(token)
    tokens.check(key, claims, "ab")
    assert (claims.licence_id, claims.download_id) == (3, 9)
    with pytest.raises(tokens.TokenInvalid):
        tokens.check(key, claims, "ac")
    with pytest.raises(tokens.TokenInvalid):
        tokens.check(tokens.url_key("t" * 32), claims, "ab")
    for bad in ("v1.3.9.x.abc", "v2.3.9.1.abc", "v1.-3.9.1.abc", token + "A"):
        with pytest.raises(tokens.TokenInvalid):
            tokens.check(key, tokens.parse(bad), "ab")


def test_a_token_is_accepted_only_as_it_was_issued() -> None:
    # One download URL has one spelling: leading zeros, base64 padding or the unused low bits
    # of the MAC's last character would give the same capability many names (a deny list, a
    # log search or a cache keyed by the URL would miss them).
    key = tokens.url_key("s" * 32)
    token = tokens.issue(key, licence_id=3, download_id=9, expires_s=2_000_000_000, nonce="ab")
    version, licence, download, expires, mac = token.split(".")
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    last = alphabet.index(mac[-1])
    same_bits = alphabet[last ^ 1]  # a 43-character tag leaves its last 2 bits unused
    for other in (
        f"{version}.0{licence}.{download}.{expires}.{mac}",
        f"{version}.{licence}.00{download}.{expires}.{mac}",
        f"{version}.{licence}.{download}.0{expires}.{mac}",
        f"{token}=",
        f"{version}.{licence}.{download}.{expires}.{mac[:-1]}{same_bits}",
    ):
        with pytest.raises(tokens.TokenInvalid):
            tokens.check(key, tokens.parse(other), "ab")
