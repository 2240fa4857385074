"""Identity tables: organisations, their roles and suspensions, accounts, custodial keys, bearer
tokens, SIWE nonces, invites, login throttles and consumed signature nonces.

Secrets never sit in a column in the clear: tokens and invite codes are stored as HMAC-SHA256
digests, passwords as argon2id hashes, custodial keys as AES-256-GCM ciphertext.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.models import utc_now
from marketplace import limits
from marketplace.db import ID_TYPE
from marketplace.principal import OrgRole

ADDRESS_HEX_LENGTH = 42  # "0x" + 20 bytes, EIP-55 checksummed
DIGEST_HEX_LENGTH = 64  # HMAC-SHA256, hex


#: Roles anyone may ask for at sign-up; the others are granted by an operator.
SELF_SERVICE_ROLES = frozenset({OrgRole.supplier, OrgRole.buyer})


class MembershipRole(StrEnum):
    """What a person may do inside their organisation."""

    admin = "admin"
    member = "member"


# --- organisations -------------------------------------------------------------------------


class OrganizationBase(SQLModel):
    name: str = Field(min_length=1, max_length=limits.organization_name_length_max)


class Organization(OrganizationBase, table=True):
    __tablename__ = "organization"

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    name_key: str = Field(
        max_length=limits.organization_name_length_max, unique=True
    )  # casefolded name: "ACME" and "acme" are one organisation
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    verified_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # No foreign key: account -> organization already points the other way (no FK cycles).
    verified_by: int | None = Field(default=None, sa_type=BigInteger)


class OrganizationSuspension(SQLModel, table=True):
    """An organisation an operator has suspended: while the row exists its accounts may not act
    (docs/identity.md, "Suspending an organisation"). Reinstating deletes it; the journal keeps
    the history."""

    __tablename__ = "organization_suspension"

    organization_id: int = Field(
        sa_type=BigInteger, foreign_key="organization.id", primary_key=True
    )
    suspended_at: datetime = Field(sa_type=DateTime(timezone=True))
    suspended_by: int = Field(sa_type=BigInteger)  # the operator's account id
    reason: str = Field(max_length=limits.suspension_reason_length_max)


class OrganizationRole(SQLModel, table=True):
    __tablename__ = "organization_role"
    __table_args__ = (UniqueConstraint("organization_id", "role"),)

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    organization_id: int = Field(sa_type=BigInteger, foreign_key="organization.id", index=True)
    role: str = Field(max_length=32)
    granted_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    granted_by: int | None = Field(default=None, sa_type=BigInteger)  # None: self sign-up


# --- accounts ------------------------------------------------------------------------------


class AccountBase(SQLModel):
    email: str | None = Field(default=None, max_length=limits.email_length_max)
    address: str = Field(min_length=ADDRESS_HEX_LENGTH, max_length=ADDRESS_HEX_LENGTH)
    custodial: bool


class Account(AccountBase, table=True):
    __tablename__ = "account"

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    organization_id: int = Field(sa_type=BigInteger, foreign_key="organization.id", index=True)
    membership_role: str = Field(max_length=16)
    email_key: str | None = Field(
        default=None, max_length=limits.email_length_max, unique=True
    )  # lower-cased email, the unique login name
    address_key: str = Field(max_length=ADDRESS_HEX_LENGTH, unique=True)  # lower-cased address
    password_hash: str | None = Field(default=None, max_length=256)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class CustodialKey(SQLModel, table=True):
    """A custodial account's private key, AES-256-GCM encrypted under the master key with the
    address as associated data (a ciphertext moved to another row fails to decrypt)."""

    __tablename__ = "custodial_key"

    account_id: int = Field(sa_type=BigInteger, foreign_key="account.id", primary_key=True)
    address: str = Field(max_length=ADDRESS_HEX_LENGTH, unique=True)
    master_key_id: str = Field(max_length=16)  # which master key encrypted it (rotation)
    nonce: bytes = Field(sa_type=LargeBinary)
    ciphertext: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


# --- sessions ------------------------------------------------------------------------------


class AuthToken(SQLModel, table=True):
    __tablename__ = "auth_token"

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    token_digest: str = Field(max_length=DIGEST_HEX_LENGTH, unique=True)
    account_id: int = Field(sa_type=BigInteger, foreign_key="account.id", index=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class SiweNonce(SQLModel, table=True):
    __tablename__ = "siwe_nonce"

    nonce: str = Field(max_length=64, primary_key=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Invite(SQLModel, table=True):
    """A single-use, expiring invitation into an organisation."""

    __tablename__ = "invite"

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    code_digest: str = Field(max_length=DIGEST_HEX_LENGTH, unique=True)
    organization_id: int = Field(sa_type=BigInteger, foreign_key="organization.id", index=True)
    membership_role: str = Field(max_length=16)
    created_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    used_by: int | None = Field(default=None, sa_type=BigInteger)


class UsedSignatureNonce(SQLModel, table=True):
    """EIP-712 nonces already consumed per signer: a signed message is accepted once."""

    __tablename__ = "used_signature_nonce"
    __table_args__ = (UniqueConstraint("address", "nonce"),)

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    address: str = Field(max_length=ADDRESS_HEX_LENGTH)
    nonce: str = Field(max_length=80)  # uint256 in decimal
    used_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
