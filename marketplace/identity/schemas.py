"""Identity's API shapes. Requests refuse unknown fields."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from marketplace import limits
from marketplace.identity.models import AccountBase, OrganizationBase
from marketplace.principal import OrgRole

# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is the mail
# server's business; this only catches typos and garbage.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError("not an email address")
    return value


def _org_name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("an organisation needs a name")
    if not value.isprintable():
        raise ValueError("an organisation name must be printable")
    return value


Email = Annotated[
    str, Field(min_length=3, max_length=limits.email_length_max), AfterValidator(_email)
]
Password = Annotated[
    str, Field(min_length=limits.password_length_min, max_length=limits.password_length_max)
]
OrganizationName = Annotated[
    str,
    Field(min_length=1, max_length=limits.organization_name_length_max),
    AfterValidator(_org_name),
]
InviteCode = Annotated[str, Field(min_length=1, max_length=limits.bearer_token_length_max)]
SelfServiceRole = Literal["supplier", "buyer"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests ------------------------------------------------------------------------------


class OrganizationCreate(_Request):
    """A new organisation. Self sign-up may ask for supplier and/or buyer, or for neither (an
    arbitration body or a valuer, which waits for an operator to grant its role)."""

    name: OrganizationName
    roles: list[SelfServiceRole] = Field(max_length=2)

    @model_validator(mode="after")
    def _distinct_roles(self) -> Self:
        if len(set(self.roles)) != len(self.roles):
            raise ValueError("list each role once")
        return self


class _Joining(_Request):
    organization: OrganizationCreate | None = None
    invite_code: InviteCode | None = None

    @model_validator(mode="after")
    def _one_way_in(self) -> Self:
        if (self.organization is None) == (self.invite_code is None):
            raise ValueError("give either 'organization' (a new one) or 'invite_code' (to join)")
        return self


class SignupRequest(_Joining):
    email: Email
    password: Password


class LoginRequest(_Request):
    email: Email
    # No minimum here: a short password is simply wrong, and says nothing about the rules.
    password: str = Field(min_length=1, max_length=limits.password_length_max)


class PasswordChange(_Request):
    """A new password for the calling account, with its current one (checked, and counted as
    a failed login when wrong)."""

    # No minimum here: a short password is simply wrong, as at login.
    current_password: str = Field(min_length=1, max_length=limits.password_length_max)
    new_password: Password  # the rules of sign-up


class SiweLoginRequest(_Request):
    """A signed EIP-4361 message. For an address the exchange does not know yet, add
    ``organization`` (or ``invite_code``) to sign up; ``email`` is optional."""

    message: str = Field(min_length=1, max_length=limits.siwe_message_bytes_max)
    signature: str = Field(min_length=1, max_length=limits.siwe_signature_length_max)
    organization: OrganizationCreate | None = None
    invite_code: InviteCode | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _at_most_one_way_in(self) -> Self:
        if self.organization is not None and self.invite_code is not None:
            raise ValueError("give 'organization' or 'invite_code', not both")
        return self


class RoleGrant(_Request):
    role: OrgRole


def _reason(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("give the reason for the suspension")
    return value


class SuspensionRequest(_Request):
    """Why an operator suspends an organisation: written to the public journal, so name the
    grounds, not personal data."""

    reason: Annotated[
        str,
        Field(min_length=1, max_length=limits.suspension_reason_length_max),
        AfterValidator(_reason),
    ]


class InviteCreate(_Request):
    membership_role: Literal["admin", "member"] = "member"
    ttl_s: int = Field(default=limits.invite_ttl_s_default, ge=60, le=limits.invite_ttl_s_max)


# --- responses -----------------------------------------------------------------------------


class AccountPublic(AccountBase):
    id: int


class OrganizationPublic(OrganizationBase):
    id: int
    roles: list[str]
    verified: bool
    verified_at: datetime | None
    suspended: bool = False  # by an operator: its accounts may not act (docs/identity.md)
    suspended_at: datetime | None = None
    suspension_reason: str | None = None


class TokenResponse(BaseModel):
    """A bearer token, shown once. Send it as ``Authorization: Bearer <access_token>``."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 -- the OAuth 2 token type, not a secret
    expires_at: datetime
    account: AccountPublic
    signed_up: bool  # True when this request created the account


class MeResponse(BaseModel):
    account: AccountPublic
    organization: OrganizationPublic
    membership_role: Literal["admin", "member"]
    can_list: bool  # verified organisation with the supplier role
    can_buy: bool  # verified organisation with the buyer role


class SiweNonceResponse(BaseModel):
    nonce: str
    domain: str
    uri: str
    chain_id: int
    statement: str
    expires_at: datetime


class InviteResponse(BaseModel):
    """The invite code, shown once: give it to the person who will sign up with it."""

    code: str
    organization_id: int
    membership_role: Literal["admin", "member"]
    expires_at: datetime


class OrganizationPage(BaseModel):
    items: list[OrganizationPublic]
    total: int
    limit: int
    offset: int


class LogoutResponse(BaseModel):
    revoked: bool = True


class PasswordChanged(BaseModel):
    """The password is changed; every other bearer token of the account is revoked (the one
    that changed it still works)."""

    changed: bool = True
    other_tokens_revoked: int  # unexpired tokens of the account that stopped working


class LoggedOutEverywhere(BaseModel):
    """Every bearer token of the account is revoked, the one of this request included."""

    tokens_revoked: int  # unexpired tokens that stopped working, this request's included
