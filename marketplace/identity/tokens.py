"""Opaque secrets handed to clients once (bearer tokens, invite codes) and stored only as
HMAC-SHA256 digests keyed with the server's secret key."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# The prefixes let secret scanners recognise a leaked token; they are not secrets themselves.
TOKEN_PREFIX = "dbt_"  # noqa: S105 -- bearer token prefix
INVITE_PREFIX = "dbi_"
_TOKEN_BYTES = 32
_SHAPE = re.compile(r"^(dbt|dbi)_[A-Za-z0-9_-]{43}$")


def new_secret(prefix: str) -> str:
    """32 random bytes, URL-safe base64, behind ``prefix``."""
    assert prefix in (TOKEN_PREFIX, INVITE_PREFIX)
    token = prefix + secrets.token_urlsafe(_TOKEN_BYTES)
    assert _SHAPE.match(token)
    return token


def is_well_formed(secret: str, prefix: str) -> bool:
    return secret.startswith(prefix) and _SHAPE.match(secret) is not None


def digest(secret_key: str, value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of ``value``, hex. ``purpose`` separates the uses of one key."""
    mac = hmac.new(secret_key.encode(), f"{purpose}\0{value}".encode(), hashlib.sha256)
    return mac.hexdigest()
