"""Password hashing: argon2id through argon2-cffi (RFC 9106 parameters).

Unknown login names still cost one hash (of a dummy), so response time does not tell an
attacker which emails have accounts.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from marketplace import limits

# argon2-cffi's defaults are RFC 9106's "second recommended option" (argon2id, t=3, m=64 MiB,
# p=4). When they change, ``needs_rehash`` reports True and the next login rehashes.
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("databourse-dummy-password-for-unknown-accounts")


def check_length(password: str) -> None:
    """Raises ValueError when the password's length is outside the limits."""
    if not limits.password_length_min <= len(password) <= limits.password_length_max:
        raise ValueError(
            f"a password has {limits.password_length_min} to {limits.password_length_max} "
            "characters"
        )


def hash_password(password: str) -> str:
    check_length(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches. ``password_hash=None`` (no such account, or an account
    without a password) hashes a dummy and returns False, in about the same time."""
    if len(password) > limits.password_length_max:
        return False  # never feed an unbounded string to the hasher
    try:
        ok = _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
