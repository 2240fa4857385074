"""Custodial keys are stored only encrypted, and open to the account's own address."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from marketplace.identity import keys
from marketplace.identity.models import CustodialKey
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import signup

MASTER = bytes(range(32))


def test_signup_stores_the_key_encrypted_and_it_opens_to_the_account_address(
    api: TestClient, id_runtime: Runtime
) -> None:
    address = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])["account"]["address"]
    with Session(id_runtime.engine) as s:
        raw = s.execute(text("SELECT * FROM custodial_key")).mappings().one()
        row = s.get(CustodialKey, raw["account_id"])
    assert row is not None
    assert row.address == address
    assert len(row.nonce) == keys.NONCE_BYTES
    private_key = keys.open_sealed(
        id_runtime.settings.master_key_bytes,
        keys.SealedKey(row.address, row.master_key_id, row.nonce, row.ciphertext),
    )
    assert Account.from_key(private_key).address == address
    # No column of the stored row holds the key's bytes, in binary or in hex.
    for value in raw.values():
        blob = value if isinstance(value, bytes) else str(value).encode()
        assert private_key not in blob
        assert private_key.hex().encode() not in blob.lower()


def test_each_key_gets_its_own_nonce() -> None:
    a, b = keys.generate(MASTER), keys.generate(MASTER)
    assert a.nonce != b.nonce
    assert a.address != b.address


def test_sealed_key_round_trips() -> None:
    sealed = keys.generate(MASTER)
    assert Account.from_key(keys.open_sealed(MASTER, sealed)).address == sealed.address


def test_wrong_master_key_does_not_open() -> None:
    sealed = keys.generate(MASTER)
    with pytest.raises(keys.KeyDecryptionError, match="does not decrypt"):
        keys.open_sealed(bytes(32), sealed)


def test_ciphertext_moved_to_another_address_does_not_open() -> None:
    mine, theirs = keys.generate(MASTER), keys.generate(MASTER)
    swapped = keys.SealedKey(theirs.address, mine.master_key_id, mine.nonce, mine.ciphertext)
    with pytest.raises(keys.KeyDecryptionError):
        keys.open_sealed(MASTER, swapped)


def test_tampered_ciphertext_does_not_open() -> None:
    sealed = keys.generate(MASTER)
    flipped = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    with pytest.raises(keys.KeyDecryptionError):
        keys.open_sealed(MASTER, keys.SealedKey(sealed.address, "", sealed.nonce, flipped))


def test_a_key_sealed_under_another_address_does_not_open() -> None:
    # Encrypted with the master key and bound to the row's address, but not that address's key:
    # only the derivation check can see it.
    sealed, other = keys.generate(MASTER), Account.create()
    nonce = bytes(keys.NONCE_BYTES)
    ciphertext = AESGCM(MASTER).encrypt(nonce, bytes(other.key), sealed.address.lower().encode())
    forged = keys.SealedKey(sealed.address, sealed.master_key_id, nonce, ciphertext)
    with pytest.raises(keys.KeyDecryptionError, match="does not match its address"):
        keys.open_sealed(MASTER, forged)
