"""Webhook signatures (pure): how the exchange signs a delivery and how a receiver checks it.

Each delivery carries three headers: ``Databourse-Webhook-Id`` (the notification id, the same on
every retry: deduplicate on it), ``Databourse-Webhook-Timestamp`` (Unix seconds when this attempt
was signed) and ``Databourse-Webhook-Signature`` (``v1=`` and the lowercase hex of
HMAC-SHA256(secret, timestamp + "." + body), the key being the secret's UTF-8 bytes and the body
the exact bytes received). A receiver recomputes it, compares in constant time, and refuses a
timestamp too far from its clock (replays). ``verify`` below is that recipe; it needs nothing
from this project but the standard library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ID_HEADER = "Databourse-Webhook-Id"
TIMESTAMP_HEADER = "Databourse-Webhook-Timestamp"
SIGNATURE_HEADER = "Databourse-Webhook-Signature"
ATTEMPT_HEADER = "Databourse-Webhook-Attempt"
SCHEME = "v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 -- the prefix every secret shows, not a secret
SECRET_BYTES = 32
#: How far a receiver should let a timestamp stray from its clock, in either direction.
TOLERANCE_S = 300


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes, base64url without padding."""
    raw = secrets.token_bytes(SECRET_BYTES)
    return SECRET_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value: ``v1=`` + hex HMAC-SHA256(secret, f"{timestamp}." + body)."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def verify(secret: str, timestamp: str, body: bytes, header: str, now_s: float) -> bool:
    """Whether ``header`` signs ``body`` at ``timestamp`` under ``secret``, and the timestamp
    lies within ``TOLERANCE_S`` of ``now_s``. The header may list several ``v1=`` values
    (comma-separated); one match suffices."""
    if (
        not (timestamp.isascii() and timestamp.isdigit())
        or abs(now_s - int(timestamp)) > TOLERANCE_S
    ):
        return False
    expected = signature(secret, int(timestamp), body)
    candidates = (part.strip() for part in header.split(","))
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
