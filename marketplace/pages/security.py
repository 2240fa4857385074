"""The pages' Content-Security-Policy, session cookie and CSRF tokens.

- **CSP.** Every page loads only files from this server (``/static/``): no inline script, no
  inline style, nothing from another host. Inline SVG charts use presentation attributes only.
- **Session.** The cookie holds the bearer token that ``POST /auth/login`` issues (the same
  token, the same expiry, revoked by the same logout): HttpOnly, SameSite=Lax, Secure when the
  exchange's public URL is https. Only page routes read it (``identity.auth.get_page_account``);
  the JSON API never accepts it, so a cross-site form cannot act through the API.
- **CSRF.** Synchronizer token bound to the session: a random ``csrf`` cookie (set on the first
  page) and a form token ``HMAC(secret_key, csrf cookie | session token)``. Every form POST on a
  page route must carry it as ``csrf_token`` (``PageRoute`` checks it before the route runs);
  signing in or out changes the token. An attacker's site can neither read the cookie nor
  compute the HMAC.

Pure, apart from the cookie helpers writing to a response.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from starlette.responses import Response

from marketplace.identity.auth import SESSION_COOKIE
from marketplace.settings import Settings

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
CSRF_COOKIE = "databourse_csrf"
CSRF_FIELD = "csrf_token"
_CSRF_NONCE_BYTES = 32
CSRF_COOKIE_LENGTH_MAX = 64


def secure_cookies(settings: Settings) -> bool:
    return settings.public_url.lower().startswith("https://")


def new_csrf_nonce() -> str:
    return secrets.token_urlsafe(_CSRF_NONCE_BYTES)


def csrf_token(settings: Settings, nonce: str, session_token: str | None) -> str:
    """The form token for this browser (``nonce``, its csrf cookie) and session."""
    key = settings.secret_key.get_secret_value().encode()
    message = f"page-csrf|{nonce}|{session_token or ''}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def csrf_valid(
    settings: Settings, nonce: str | None, session_token: str | None, submitted: str | None
) -> bool:
    if not nonce or not submitted or len(nonce) > CSRF_COOKIE_LENGTH_MAX:
        return False
    return hmac.compare_digest(csrf_token(settings, nonce, session_token), submitted)


def set_csrf_cookie(response: Response, settings: Settings, nonce: str) -> None:
    response.set_cookie(
        CSRF_COOKIE,
        nonce,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
        path="/",
    )


def set_session_cookie(
    response: Response, settings: Settings, token: str, expires_at: datetime, now: datetime
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max(0, int((expires_at - now).total_seconds())),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(settings)
    )
