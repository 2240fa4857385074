"""Password hashing: argon2id through argon2-cffi (RFC 9106 parameters).

Unknown login names still cost one hash (of a dummy), so response time does not tell an
attacker which emails have accounts.

Each hash costs 64 MiB and four lanes of CPU, so at most ``limits.password_hashes_concurrent_max``
run at once in a process; a request beyond that gets ``PasswordChecksBusy`` (429, Retry-After) at
once, without hashing or touching the database, instead of slowing every other request down.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from marketplace import limits
from marketplace.identity.errors import PasswordChecksBusy

# argon2-cffi's defaults are RFC 9106's "second recommended option" (argon2id, t=3, m=64 MiB,
# p=4). When they change, ``needs_rehash`` reports True and the next login rehashes.
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("databourse-dummy-password-for-unknown-accounts")
_slots = threading.BoundedSemaphore(limits.password_hashes_concurrent_max)


@contextmanager
def hashing_slot() -> Iterator[None]:
    """Holds one of the process's password-hashing slots; raises ``PasswordChecksBusy`` when
    none is free (never waits: a queue of logins would hold threads and connections)."""
    if not _slots.acquire(blocking=False):
        raise PasswordChecksBusy(
            "the exchange is checking too many passwords at once; try again in "
            f"{limits.password_hash_retry_after_s} s",
            retry_after_s=limits.password_hash_retry_after_s,
        )
    try:
        yield
    finally:
        _slots.release()


def check_length(password: str) -> None:
    """Raises ValueError when the password's length is outside the limits."""
    if not limits.password_length_min <= len(password) <= limits.password_length_max:
        raise ValueError(
            f"a password has {limits.password_length_min} to {limits.password_length_max} "
            "characters"
        )


def hash_password(password: str) -> str:
    check_length(password)
    with hashing_slot():
        return hashed(password)


def hashed(password: str) -> str:
    """The hash of ``password``, for a caller that holds a ``hashing_slot()`` already."""
    check_length(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches. ``password_hash=None`` (no such account, or an account
    without a password) hashes a dummy and returns False, in about the same time. The caller
    holds a ``hashing_slot()`` (the login holds it for the whole attempt)."""
    if len(password) > limits.password_length_max:
        return False  # never feed an unbounded string to the hasher
    try:
        ok = _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
