"""The signature recipe: what a receiver computes, and what it must refuse."""

from __future__ import annotations

import hashlib
import hmac

from marketplace.notifications import signing

SECRET = "whsec_test-secret"
BODY = b'{"id":7,"kind":"demand.matched"}'


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body_under_the_secret() -> None:
    digest = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signing.signature(SECRET, 1_700_000_000, BODY) == f"v1={digest}"


def test_verify_accepts_a_fresh_signature_and_one_of_several() -> None:
    header = signing.signature(SECRET, 1_700_000_000, BODY)
    assert signing.verify(SECRET, "1700000000", BODY, header, 1_700_000_100)
    assert signing.verify(SECRET, "1700000000", BODY, f"v1=00ff, {header}", 1_700_000_100)


def test_verify_refuses_another_body_secret_timestamp_or_a_stale_one() -> None:
    header = signing.signature(SECRET, 1_700_000_000, BODY)
    now = 1_700_000_000
    assert not signing.verify(SECRET, "1700000000", BODY + b" ", header, now)
    assert not signing.verify("whsec_other", "1700000000", BODY, header, now)
    assert not signing.verify(SECRET, "1700000001", BODY, header, now)
    assert not signing.verify(SECRET, "1700000000", BODY, header, now + signing.TOLERANCE_S + 1)
    assert not signing.verify(SECRET, "-1700000000", BODY, header, now)
    assert not signing.verify(SECRET, "1700000000", BODY, header.upper(), now)


def test_each_new_secret_is_fresh_and_long() -> None:
    secrets = {signing.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(s.startswith("whsec_") and len(s) == 6 + 43 for s in secrets)
