"""Custodial keys: generated here, stored only as AES-256-GCM ciphertext under the master key.

Each key gets a fresh random 96-bit nonce, and the account's address is the associated data, so a
ciphertext copied onto another account's row fails to decrypt.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from coincurve import PrivateKey
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eth_account import Account

from ledger.canonical import keccak256

NONCE_BYTES = 12  # 96 bits, as GCM wants
MASTER_KEY_BYTES = 32  # AES-256


@dataclass(frozen=True)
class SealedKey:
    address: str
    master_key_id: str
    nonce: bytes
    ciphertext: bytes


class KeyDecryptionError(Exception):
    """The ciphertext does not open under this master key and address."""


def master_key_id(master_key: bytes) -> str:
    """A short public name for a master key (which key sealed a row), not the key."""
    return hashlib.sha256(b"databourse master key id\0" + master_key).hexdigest()[:16]


def _aad(address: str) -> bytes:
    return address.lower().encode()


def generate(master_key: bytes) -> SealedKey:
    """A new secp256k1 key, sealed. The plaintext key leaves this function only inside
    ``ciphertext``."""
    assert len(master_key) == MASTER_KEY_BYTES
    account = Account.create()
    private_key = bytes(account.key)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(master_key).encrypt(nonce, private_key, _aad(account.address))
    return SealedKey(account.address, master_key_id(master_key), nonce, ciphertext)


def open_sealed(master_key: bytes, sealed: SealedKey) -> bytes:
    """The private key, after checking that it still belongs to ``sealed.address``."""
    assert len(master_key) == MASTER_KEY_BYTES
    if len(sealed.nonce) != NONCE_BYTES:
        raise KeyDecryptionError("the stored nonce is not 96 bits")
    try:
        private_key = AESGCM(master_key).decrypt(
            sealed.nonce, sealed.ciphertext, _aad(sealed.address)
        )
    except InvalidTag as exc:
        raise KeyDecryptionError(
            "the custodial key does not decrypt: wrong master key or a tampered row"
        ) from exc
    # The address as bytes, not checksummed: the comparison ignores case anyway.
    public = PrivateKey(private_key).public_key.format(compressed=False)[1:]
    derived = "0x" + keccak256(public)[-20:].hex()
    if derived != sealed.address.lower():
        raise KeyDecryptionError("the custodial key does not match its address")
    return private_key
