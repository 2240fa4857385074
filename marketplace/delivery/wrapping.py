"""Key-wrapped delivery: the revision's data key sealed for the buyer's X25519 public key with
HPKE (RFC 9180, base mode, single shot): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM,
through ``cryptography.hazmat.primitives.hpke``. The ``info`` binds the wrapped key to the
licence, the download and the ciphertext's SHA-256, so it cannot be replayed for another.

The wrapped key is ``enc || ciphertext`` as the single-shot API returns it (32 + 48 bytes). The
buyer unwraps it with its private key (``unwrap``) and decrypts the served ciphertext with
``marketplace.blobs.envelope.decrypt_stream``. Pure: used by the server and the client.
"""

from __future__ import annotations

from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

SUITE_NAME: Final = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM"
PUBLIC_KEY_BYTES: Final = 32


class UnwrapError(ValueError):
    """The wrapped key is not for this private key, or was altered."""


def _suite() -> Suite:
    return Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)


def info(licence_id: int, download_id: int, sha256_hex: str) -> bytes:
    text = f"databourse.delivery.v1|licence:{licence_id}|download:{download_id}|sha256:{sha256_hex}"
    return text.encode()


def public_key_from_hex(hex_key: str) -> x25519.X25519PublicKey:
    """A raw 32-byte X25519 public key from 64 hex digits that a key can be wrapped to;
    ValueError otherwise."""
    raw = bytes.fromhex(hex_key)
    if len(raw) != PUBLIC_KEY_BYTES:
        raise ValueError("an X25519 public key is 32 bytes (64 hex digits)")
    key = x25519.X25519PublicKey.from_public_bytes(raw)
    # A point of small order gives every sender the all-zero shared secret, which X25519
    # refuses (RFC 7748 §6.1): nothing could ever be wrapped to it.
    try:
        x25519.X25519PrivateKey.generate().exchange(key)
    except ValueError as exc:
        raise ValueError("a point of small order, to which no key can be wrapped") from exc
    return key


def wrap(data_key: bytes, public_key_hex: str, context: bytes) -> bytes:
    return _suite().encrypt(data_key, public_key_from_hex(public_key_hex), info=context)


def unwrap(wrapped: bytes, private_key: x25519.X25519PrivateKey, context: bytes) -> bytes:
    try:
        return _suite().decrypt(wrapped, private_key, info=context)
    except (InvalidTag, ValueError) as exc:
        raise UnwrapError(
            "the data key does not unwrap with this private key (wrong key, or altered)"
        ) from exc
