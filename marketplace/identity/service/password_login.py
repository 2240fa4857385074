"""Password login in three steps, so the slow hash check runs outside any transaction:
``start_password_login`` (throttle, look-up), ``check_password`` (the hash), then
``finish_password_login`` or ``record_login_failure``."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from marketplace.identity import passwords, repository, throttle
from marketplace.identity.errors import InvalidCredentials, PasswordChecksBusy
from marketplace.identity.schemas import TokenResponse
from marketplace.identity.service._common import email_key_for, secret
from marketplace.identity.service.bearer_tokens import issue_token, refuse_if_suspended
from marketplace.ratelimit import RateLimits
from marketplace.settings import Settings


@dataclass(frozen=True)
class PasswordAttempt:
    """A login let through the throttle, with the hash its password is to be checked against
    (None for an unknown login name: a dummy is hashed instead)."""

    throttle: throttle.ThrottleKeys
    account_id: int | None
    password_hash: str | None


def start_password_login(
    session: Session, settings: Settings, rates: RateLimits, email: str, client_host: str | None
) -> PasswordAttempt:
    """Raises LoginThrottled when this client has failed too often for this login name. The
    password is checked next, by ``check_password``, outside any transaction."""
    keys = throttle.keys_for(secret(settings), email_key_for(email), client_host)
    throttle.check(rates, keys)
    account = repository.account_by_email_key(session, email_key_for(email))
    if account is None:
        return PasswordAttempt(keys, None, None)
    return PasswordAttempt(keys, account.id, account.password_hash)


def check_password(attempt: PasswordAttempt, password: str) -> None:
    """Raises InvalidCredentials for a wrong email or password (the caller records the failure
    in a transaction of its own, see ``record_login_failure``). The caller holds a
    ``passwords.hashing_slot()``."""
    if not passwords.verify_password(attempt.password_hash, password):
        raise InvalidCredentials("wrong email or password")


def finish_password_login(
    session: Session,
    settings: Settings,
    rates: RateLimits,
    attempt: PasswordAttempt,
    password: str,
    *,
    now: datetime,
) -> TokenResponse:
    assert attempt.account_id is not None
    # Locked: a password change that commits meanwhile is seen here (docs/identity.md).
    account = repository.lock_account(session, attempt.account_id)
    if account is None or account.password_hash != attempt.password_hash:
        raise InvalidCredentials("wrong email or password")  # changed while it was checked
    assert account.password_hash is not None
    # After the password check: only the password's holder learns of the suspension.
    refuse_if_suspended(session, account.organization_id)
    if passwords.needs_rehash(account.password_hash):
        with contextlib.suppress(PasswordChecksBusy):  # the next login rehashes
            account.password_hash = passwords.hash_password(password)
            session.add(account)
    throttle.clear_client(rates, attempt.throttle)
    return issue_token(session, settings, account, now, signed_up=False)


def record_login_failure(rates: RateLimits, attempt: PasswordAttempt) -> None:
    throttle.record_failure(rates, attempt.throttle)
