"""Identity's errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
)


class NotAuthenticated(Unauthorized):
    code = "not_authenticated"


class InvalidToken(Unauthorized):
    code = "invalid_token"


class TokenExpired(Unauthorized):
    code = "token_expired"


class TokenRevoked(Unauthorized):
    code = "token_revoked"


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"


class WrongPassword(Forbidden):
    """The current password given to change it is wrong (403, not 401: the token is good)."""

    code = "wrong_password"


class NoPassword(Conflict):
    code = "no_password"


class SamePassword(BadRequest):
    code = "same_password"


class PasswordChangedMeanwhile(Conflict):
    code = "password_changed_meanwhile"


class SiweRejected(Unauthorized):
    code = "siwe_rejected"


class SignupRequired(Unauthorized):
    code = "signup_required"


class LoginThrottled(TooManyRequests):
    code = "login_throttled"


class PasswordChecksBusy(TooManyRequests):
    code = "password_checks_busy"


class AdminRequired(Forbidden):
    code = "admin_required"


class EmailTaken(Conflict):
    code = "email_taken"


class OrganizationNameTaken(Conflict):
    code = "organization_name_taken"


class AddressTaken(Conflict):
    code = "address_taken"


class NonceReused(Conflict):
    code = "nonce_reused"


class OrganizationNotFound(NotFound):
    code = "organization_not_found"


class InvalidInvite(BadRequest):
    code = "invalid_invite"


class NotCustodial(BadRequest):
    code = "not_custodial"


class SignatureRejected(BadRequest):
    code = "signature_rejected"


class GrantRefused(Forbidden):
    code = "grant_refused"


class OrganizationSuspended(Forbidden):
    code = "organization_suspended"


class SuspensionRefused(Forbidden):
    code = "suspension_refused"


class AlreadySuspended(Conflict):
    code = "already_suspended"


class NotSuspended(Conflict):
    code = "not_suspended"
