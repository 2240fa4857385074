"""Signed download URLs: a token that names a licence and one issued download, with its expiry,
authenticated by HMAC-SHA256 under a key derived from the service's ``secret_key``.

    v1.<licence id>.<download id>.<expires, unix s>.<base64url HMAC>

The MAC covers the licence id, the download id, the expiry and the download's random nonce (kept
on its row), so the token cannot be moved to another licence or download, nor its expiry
changed. Pure: no database, no clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Final

from marketplace import limits
from marketplace.digits import whole_number

VERSION: Final = "v1"
_KEY_LABEL: Final = b"databourse.delivery.download-url.v1"


class TokenInvalid(ValueError):
    """Not a token this exchange could have issued (altered, truncated, or another format)."""


@dataclass(frozen=True)
class TokenClaims:
    licence_id: int
    download_id: int
    expires_s: int
    mac: bytes


def url_key(secret_key: str) -> bytes:
    """The MAC key: HMAC-SHA256(secret_key, label), so the secret itself signs nothing."""
    return hmac.new(secret_key.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _mac(key: bytes, licence_id: int, download_id: int, expires_s: int, nonce: str) -> bytes:
    message = f"{VERSION}|{licence_id}|{download_id}|{expires_s}|{nonce}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def issue(key: bytes, *, licence_id: int, download_id: int, expires_s: int, nonce: str) -> str:
    mac = _mac(key, licence_id, download_id, expires_s, nonce)
    return _spelled(TokenClaims(licence_id, download_id, expires_s, mac))


def parse(token: str) -> TokenClaims:
    """The claims a token makes, not yet checked (``check`` does that with the nonce)."""
    parts = token.split(".")
    if len(parts) != 5 or parts[0] != VERSION:
        raise TokenInvalid("not a download token")
    licence_id, download_id, expires_s = (whole_number(p) for p in parts[1:4])
    if licence_id is None or download_id is None or expires_s is None:
        raise TokenInvalid("not a download token")
    # 19 digits reach past a BIGINT: such an id is none the exchange issued, and the
    # database could not even look it up.
    if licence_id > limits.id_max or download_id > limits.id_max:
        raise TokenInvalid("not a download token")
    try:
        mac = base64.urlsafe_b64decode(parts[4] + "=" * (-len(parts[4]) % 4))
    except ValueError as exc:
        raise TokenInvalid("not a download token") from exc
    if len(mac) != hashlib.sha256().digest_size:
        raise TokenInvalid("not a download token")
    claims = TokenClaims(licence_id, download_id, expires_s, mac)
    # One URL, one spelling: leading zeros, padding or the tag's unused low bits would
    # otherwise name the same download several ways.
    if _spelled(claims) != token:
        raise TokenInvalid("not a download token")
    return claims


def _spelled(claims: TokenClaims) -> str:
    tag = base64.urlsafe_b64encode(claims.mac).rstrip(b"=").decode()
    return f"{VERSION}.{claims.licence_id}.{claims.download_id}.{claims.expires_s}.{tag}"


def check(key: bytes, claims: TokenClaims, nonce: str) -> None:
    """Raise ``TokenInvalid`` unless the MAC is the one this exchange made (constant time)."""
    expected = _mac(key, claims.licence_id, claims.download_id, claims.expires_s, nonce)
    if not hmac.compare_digest(expected, claims.mac):
        raise TokenInvalid("the download URL was altered")
