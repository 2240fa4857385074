"""What an account holder does when a password has leaked: change it (ending every other
session), or log out everywhere (ending every session, this one included).

A password change runs as a login does, in steps, so that no transaction is open while a
password is hashed (the endpoint holds a ``passwords.hashing_slot()`` across steps 1 and 2):

1. ``start_password_change``: the account's current hash, and the login throttle's check for
   its email from this client (429 ``login_throttled`` ends it here);
2. ``check_current_password`` (the hash, no transaction), counted by
   ``record_wrong_password`` as a failed login when wrong, then ``passwords.hashed`` of the new
   one;
3. ``finish_password_change``, in one transaction: the account's row locked, the hash replaced
   only if it is still the one checked in step 2, every other live token of the account
   revoked, the change journaled. A login's own final step locks the row too, so a login that
   checked the old password either finishes first (and its token is revoked here) or finds the
   hash changed (401).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from marketplace.identity import passwords, repository, throttle
from marketplace.identity.errors import (
    NoPassword,
    PasswordChangedMeanwhile,
    SamePassword,
    TokenRevoked,
    WrongPassword,
)
from marketplace.identity.schemas import LoggedOutEverywhere, PasswordChanged
from marketplace.identity.service._common import append_journal, email_key_for, log, secret
from marketplace.principal import Principal
from marketplace.ratelimit import RateLimits
from marketplace.settings import Settings


@dataclass(frozen=True)
class PasswordChangeAttempt:
    """A change let through the throttle, with the hash its current password is checked
    against."""

    throttle: throttle.ThrottleKeys
    account_id: int
    password_hash: str


def start_password_change(
    session: Session,
    settings: Settings,
    rates: RateLimits,
    principal: Principal,
    client_host: str | None,
) -> PasswordChangeAttempt:
    """Raises NoPassword for an account that signs in only with Ethereum, LoginThrottled when
    this client has failed too often for this account's email."""
    account = repository.account(session, principal.account_id)
    assert account is not None  # the token was just checked, and accounts are never deleted
    if account.password_hash is None or account.email is None:
        raise NoPassword(
            "this account signs in with Ethereum (SIWE) and has no password to change; its key "
            "is its credential"
        )
    keys = throttle.keys_for(secret(settings), email_key_for(account.email), client_host)
    throttle.check(rates, keys)
    return PasswordChangeAttempt(keys, principal.account_id, account.password_hash)


def check_current_password(attempt: PasswordChangeAttempt, current: str, new: str) -> None:
    """Raises WrongPassword (the caller records it, ``record_wrong_password``) or SamePassword.
    The caller holds a ``passwords.hashing_slot()``."""
    if not passwords.verify_password(attempt.password_hash, current):
        raise WrongPassword("the current password is wrong")
    if new == current:
        raise SamePassword("the new password is the current one: choose another")


def record_wrong_password(rates: RateLimits, attempt: PasswordChangeAttempt) -> None:
    """A wrong current password counts as a failed login for the account's email, so that a
    stolen token cannot be used to guess the password without the login's limits."""
    throttle.record_failure(rates, attempt.throttle)


def finish_password_change(
    session: Session,
    rates: RateLimits,
    principal: Principal,
    attempt: PasswordChangeAttempt,
    new_hash: str,
    *,
    now: datetime,
) -> PasswordChanged:
    account = repository.lock_account(session, attempt.account_id)
    assert account is not None
    if repository.token_is_revoked(session, principal.token_id):
        raise TokenRevoked("the bearer token was revoked (logged out); log in again")
    if not repository.replace_password_hash(
        session, attempt.account_id, attempt.password_hash, new_hash
    ):
        raise PasswordChangedMeanwhile(
            "the password was changed by another request meanwhile; log in again with the new one"
        )
    revoked = repository.revoke_tokens_of_account(
        session, attempt.account_id, now, sparing_token_id=principal.token_id
    )
    append_journal(
        session,
        "account.password_changed",
        f"account:{attempt.account_id}",
        principal.address,
        account_id=attempt.account_id,
        other_tokens_revoked=revoked,
    )
    throttle.clear_client(rates, attempt.throttle)
    log.info(
        "password changed",
        extra={"fields": {"account_id": attempt.account_id, "other_tokens_revoked": revoked}},
    )
    return PasswordChanged(other_tokens_revoked=revoked)


def logout_everywhere(session: Session, principal: Principal, now: datetime) -> LoggedOutEverywhere:
    """Revokes every live token of the calling account, this request's included. The account's
    row is locked first, as a password login's last step locks it: a login that finishes
    meanwhile either commits first (its token is revoked here) or after (its token is new)."""
    repository.lock_account(session, principal.account_id)
    revoked = repository.revoke_tokens_of_account(
        session, principal.account_id, now, sparing_token_id=None
    )
    log.info(
        "logged out everywhere",
        extra={"fields": {"account_id": principal.account_id, "tokens_revoked": revoked}},
    )
    return LoggedOutEverywhere(tokens_revoked=revoked)
