"""Webhook secrets at rest: AES-256-GCM under the master key, bound to the organisation."""

from __future__ import annotations

import dataclasses

import pytest

from marketplace.notifications.sealing import SecretDecryptionError, open_sealed, seal

KEY = bytes(range(32))


def test_a_sealed_secret_opens_for_its_organisation_only() -> None:
    sealed = seal(KEY, 7, "whsec_abc")
    assert b"whsec_abc" not in sealed.ciphertext
    assert open_sealed(KEY, 7, sealed) == "whsec_abc"
    with pytest.raises(SecretDecryptionError):
        open_sealed(KEY, 8, sealed)
    with pytest.raises(SecretDecryptionError):
        open_sealed(bytes(32), 7, sealed)
    tampered = dataclasses.replace(
        sealed, ciphertext=bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    )
    with pytest.raises(SecretDecryptionError):
        open_sealed(KEY, 7, tampered)


def test_sealing_twice_gives_different_ciphertexts() -> None:
    assert seal(KEY, 7, "whsec_abc").ciphertext != seal(KEY, 7, "whsec_abc").ciphertext
