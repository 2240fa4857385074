"""Webhook secrets at rest (pure): AES-256-GCM under the master key, a fresh 96-bit nonce per
secret, the organisation id as associated data (a ciphertext copied onto another organisation's
row does not open). The same scheme as custodial keys (``identity.keys``)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from marketplace.identity.keys import MASTER_KEY_BYTES, NONCE_BYTES, master_key_id


@dataclass(frozen=True)
class SealedSecret:
    master_key_id: str
    nonce: bytes
    ciphertext: bytes


class SecretDecryptionError(Exception):
    """The sealed secret does not open under this master key for this organisation."""


def _aad(organization_id: int) -> bytes:
    return f"databourse webhook secret\0{organization_id}".encode()


def seal(master_key: bytes, organization_id: int, secret: str) -> SealedSecret:
    assert len(master_key) == MASTER_KEY_BYTES
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(master_key).encrypt(nonce, secret.encode(), _aad(organization_id))
    return SealedSecret(master_key_id(master_key), nonce, ciphertext)


def open_sealed(master_key: bytes, organization_id: int, sealed: SealedSecret) -> str:
    assert len(master_key) == MASTER_KEY_BYTES
    try:
        plain = AESGCM(master_key).decrypt(sealed.nonce, sealed.ciphertext, _aad(organization_id))
    except (InvalidTag, ValueError) as exc:
        raise SecretDecryptionError(
            "the webhook secret does not decrypt: wrong master key or a tampered row"
        ) from exc
    return plain.decode()
