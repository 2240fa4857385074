"""All of identity's SQL."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, delete, func, update
from sqlalchemy import exists as sa_exists
from sqlalchemy import select as sa_select
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ledger.models import utc_now
from marketplace.db import insert_values_unless_taken
from marketplace.identity.keys import SealedKey
from marketplace.identity.models import (
    Account,
    AuthToken,
    CustodialKey,
    Invite,
    MembershipRole,
    Organization,
    OrganizationRole,
    OrganizationSuspension,
    SiweNonce,
    UsedSignatureNonce,
)

# --- organisations -------------------------------------------------------------------------


def organization_by_name_key(session: Session, name_key: str) -> Organization | None:
    return session.exec(select(Organization).where(col(Organization.name_key) == name_key)).first()


def organization(session: Session, organization_id: int) -> Organization | None:
    return session.get(Organization, organization_id)


def lock_organization(session: Session, organization_id: int) -> Organization | None:
    stmt = (
        select(Organization)
        .where(col(Organization.id) == organization_id)
        .with_for_update(key_share=True)
    )
    return session.exec(stmt).first()


def suspension(session: Session, organization_id: int) -> OrganizationSuspension | None:
    return session.get(OrganizationSuspension, organization_id)


def is_suspended(session: Session, organization_id: int) -> bool:
    """Whether the organisation has a suspension row: one statement built once, no ORM row (a
    purchase asks it of every supplier)."""
    return session.execute(_IS_SUSPENDED, {"organization_id": organization_id}).first() is not None


def suspended_ids(session: Session, organization_ids: Collection[int]) -> set[int]:
    """Which of the organisations have a suspension row: one statement built once, no ORM rows
    (a sale asks it of its buyer and its supplier together)."""
    if not organization_ids:
        return set()
    found = session.execute(_SUSPENDED_IDS, {"organization_ids": sorted(set(organization_ids))})
    return {int(organization_id) for organization_id in found.scalars()}


_SUSPENSION = cast(Table, OrganizationSuspension.__table__)  # type: ignore[attr-defined]
_IS_SUSPENDED = sa_select(_SUSPENSION.c.organization_id).where(
    _SUSPENSION.c.organization_id == bindparam("organization_id")
)
_SUSPENDED_IDS = sa_select(_SUSPENSION.c.organization_id).where(
    _SUSPENSION.c.organization_id.in_(bindparam("organization_ids", expanding=True))
)


def suspensions(
    session: Session, organization_ids: Sequence[int]
) -> dict[int, OrganizationSuspension]:
    if not organization_ids:
        return {}
    stmt = select(OrganizationSuspension).where(
        col(OrganizationSuspension.organization_id).in_(organization_ids)
    )
    return {row.organization_id: row for row in session.exec(stmt).all()}


def add_suspension(session: Session, row: OrganizationSuspension) -> None:
    session.add(row)
    session.flush()


def delete_suspension(session: Session, organization_id: int) -> None:
    session.execute(
        delete(OrganizationSuspension).where(
            col(OrganizationSuspension.organization_id) == organization_id
        )
    )


def organization_roles(session: Session, organization_id: int) -> list[str]:
    stmt = (
        select(OrganizationRole.role)
        .where(col(OrganizationRole.organization_id) == organization_id)
        .order_by(col(OrganizationRole.role))
    )
    return list(session.exec(stmt).all())


def roles_by_organization(
    session: Session, organization_ids: Sequence[int]
) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in organization_ids}
    if not organization_ids:
        return out
    stmt = (
        select(OrganizationRole.organization_id, OrganizationRole.role)
        .where(col(OrganizationRole.organization_id).in_(organization_ids))
        .order_by(col(OrganizationRole.role))
    )
    for org_id, role in session.exec(stmt).all():
        out[org_id].append(role)
    return out


def list_organizations(
    session: Session, *, verified: bool | None, limit: int, offset: int
) -> tuple[list[Organization], int]:
    stmt = select(Organization)
    count = select(func.count()).select_from(Organization)
    if verified is not None:
        cond = (
            col(Organization.verified_at).is_not(None)
            if verified
            else col(Organization.verified_at).is_(None)
        )
        stmt = stmt.where(cond)
        count = count.where(cond)
    rows = session.exec(stmt.order_by(col(Organization.id)).limit(limit).offset(offset)).all()
    total = session.exec(count).one()
    return list(rows), int(total)


def add_role(
    session: Session, organization_id: int, role: str, granted_by: int | None
) -> OrganizationRole:
    row = OrganizationRole(organization_id=organization_id, role=role, granted_by=granted_by)
    session.add(row)
    return row


def insert_unique(session: Session, row: Any) -> bool:
    """Adds and flushes ``row`` in a savepoint; False when a unique constraint refused it (a
    concurrent request won the race) and the session is still usable."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


# --- accounts ------------------------------------------------------------------------------


def account(session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def lock_account(session: Session, account_id: int) -> Account | None:
    """The account's row, locked for the transaction: a password change and a login's final
    check of the password hash take it in turn (on SQLite every transaction is one writer)."""
    stmt = select(Account).where(col(Account.id) == account_id).with_for_update(key_share=True)
    return session.exec(stmt).first()


def replace_password_hash(session: Session, account_id: int, old_hash: str, new_hash: str) -> bool:
    """Sets the account's password hash if it is still ``old_hash``; True when this call did
    (one conditional UPDATE: of two concurrent changes, one wins)."""
    result = session.execute(
        update(Account)
        .where(col(Account.id) == account_id, col(Account.password_hash) == old_hash)
        .values(password_hash=new_hash)
    )
    return int(cast(CursorResult[Any], result).rowcount) == 1


def account_by_email_key(session: Session, email_key: str) -> Account | None:
    return session.exec(select(Account).where(col(Account.email_key) == email_key)).first()


def account_by_address_key(session: Session, address_key: str) -> Account | None:
    stmt = select(Account).where(col(Account.address_key) == address_key)
    return session.exec(stmt).first()


def holder_account(session: Session, organization_id: int) -> Account | None:
    """The account that holds an organisation's assets on certificates: its first admin (the
    lowest id), else its lowest-id account."""
    stmt = (
        select(Account)
        .where(col(Account.organization_id) == organization_id)
        .order_by(col(Account.membership_role) != MembershipRole.admin.value, col(Account.id))
        .limit(1)
    )
    return session.exec(stmt).first()


def sealed_key(session: Session, account_id: int) -> SealedKey | None:
    """A custodial account's sealed key: the four columns opening it takes, no ORM row."""
    row = session.execute(_sealed_key(), {"account_id": account_id}).first()
    return None if row is None else SealedKey(row[0], row[1], row[2], row[3])


@functools.cache
def _sealed_key() -> Select[Any]:
    """``sealed_key``'s statement, built once."""
    key = cast(Table, CustodialKey.__table__)  # type: ignore[attr-defined]
    return sa_select(key.c.address, key.c.master_key_id, key.c.nonce, key.c.ciphertext).where(
        key.c.account_id == bindparam("account_id")
    )


# --- tokens --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallerAccount:
    """The columns of the calling account that a request reads (``PrincipalAccount``)."""

    id: int
    organization_id: int
    membership_role: str
    email: str | None
    address: str
    custodial: bool


@dataclass(frozen=True)
class CallerOrganization:
    """The columns of the caller's organisation that a request reads
    (``PrincipalOrganization``)."""

    id: int
    name: str
    verified_at: datetime | None


@dataclass(frozen=True)
class TokenHolder:
    """A bearer token's state, its account, the account's organisation and its roles."""

    token_id: int
    expires_at: datetime
    revoked_at: datetime | None
    suspended: bool  # the account's organisation is suspended
    account: CallerAccount
    organization: CallerOrganization
    roles: frozenset[str]


def token_with_holder(session: Session, token_digest: str) -> TokenHolder | None:
    """The token, its account, the account's organisation and the organisation's roles, in one
    query (every authenticated request reads them all): one row per role, or one row with no
    role. Plain columns, no ORM rows to build."""
    rows = session.execute(_token_with_holder(), {"token_digest": token_digest}).all()
    if not rows:
        return None
    first = rows[0]
    return TokenHolder(
        token_id=first.token_id,
        expires_at=first.expires_at,
        revoked_at=first.revoked_at,
        suspended=first.suspended_at is not None,
        account=CallerAccount(
            id=first.account_id,
            organization_id=first.organization_id,
            membership_role=first.membership_role,
            email=first.email,
            address=first.address,
            custodial=first.custodial,
        ),
        organization=CallerOrganization(
            id=first.organization_id, name=first.name, verified_at=first.verified_at
        ),
        roles=frozenset(row.role for row in rows if row.role is not None),
    )


@functools.cache
def _token_with_holder() -> Select[Any]:
    """``token_with_holder``'s statement, built once."""
    token = cast(Table, AuthToken.__table__)  # type: ignore[attr-defined]
    account = cast(Table, Account.__table__)  # type: ignore[attr-defined]
    org = cast(Table, Organization.__table__)  # type: ignore[attr-defined]
    role = cast(Table, OrganizationRole.__table__)  # type: ignore[attr-defined]
    suspended = cast(Table, OrganizationSuspension.__table__)  # type: ignore[attr-defined]
    return (
        sa_select(
            token.c.id.label("token_id"),
            token.c.expires_at,
            token.c.revoked_at,
            account.c.id.label("account_id"),
            account.c.organization_id,
            account.c.membership_role,
            account.c.email,
            account.c.address,
            account.c.custodial,
            org.c.name,
            org.c.verified_at,
            suspended.c.suspended_at,
            role.c.role,
        )
        .select_from(
            token.join(account, account.c.id == token.c.account_id)
            .join(org, org.c.id == account.c.organization_id)
            .outerjoin(suspended, suspended.c.organization_id == org.c.id)
            .outerjoin(role, role.c.organization_id == org.c.id)
        )
        .where(token.c.token_digest == bindparam("token_digest"))
    )


def token_by_digest(session: Session, token_digest: str) -> AuthToken | None:
    stmt = select(AuthToken).where(col(AuthToken.token_digest) == token_digest)
    return session.exec(stmt).first()


def revoke_token(session: Session, token_id: int, now: datetime) -> None:
    session.execute(
        update(AuthToken)
        .where(col(AuthToken.id) == token_id, col(AuthToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )


def purge_expired_tokens(session: Session, before: datetime, limit: int) -> int:
    """Deletes up to ``limit`` token rows that expired before ``before``, oldest first; how
    many. Rows another transaction holds are skipped (PostgreSQL), so concurrent logins never
    wait on each other's purge. No revocation touches them: those update live tokens only."""
    victims = (
        select(AuthToken.id)
        .where(col(AuthToken.expires_at) < before)
        .order_by(col(AuthToken.id))
        .limit(limit)
        .with_for_update(skip_locked=True, key_share=True)
    )
    result = session.execute(
        delete(AuthToken).where(col(AuthToken.id).in_(victims.scalar_subquery()))
    )
    return int(cast(CursorResult[Any], result).rowcount)


def revoke_tokens_of_account(
    session: Session, account_id: int, now: datetime, *, sparing_token_id: int | None
) -> int:
    """Revokes every live (unrevoked, unexpired) token of the account but ``sparing_token_id``
    (None: every one); how many. An expired token is refused anyway."""
    conditions = [
        col(AuthToken.account_id) == account_id,
        col(AuthToken.revoked_at).is_(None),
        col(AuthToken.expires_at) > now,
    ]
    if sparing_token_id is not None:
        conditions.append(col(AuthToken.id) != sparing_token_id)
    result = session.execute(update(AuthToken).where(*conditions).values(revoked_at=now))
    return int(cast(CursorResult[Any], result).rowcount)


def revoke_tokens_of_organization(session: Session, organization_id: int, now: datetime) -> int:
    """Revokes every live token of every account of the organisation; how many."""
    accounts = select(Account.id).where(col(Account.organization_id) == organization_id)
    result = session.execute(
        update(AuthToken)
        .where(
            col(AuthToken.account_id).in_(accounts.scalar_subquery()),
            col(AuthToken.revoked_at).is_(None),
            col(AuthToken.expires_at) > now,
        )
        .values(revoked_at=now)
    )
    return int(cast(CursorResult[Any], result).rowcount)


def token_is_revoked(session: Session, token_id: int) -> bool:
    stmt = select(AuthToken.revoked_at).where(col(AuthToken.id) == token_id)
    return session.exec(stmt).first() is not None


# --- SIWE nonces ---------------------------------------------------------------------------


def add_siwe_nonce(session: Session, nonce: str, now: datetime, expires_at: datetime) -> None:
    session.add(SiweNonce(nonce=nonce, created_at=now, expires_at=expires_at))


def purge_siwe_nonces(session: Session, before: datetime, limit: int) -> None:
    """Deletes up to ``limit`` nonces that expired before ``before``."""
    victims = (
        select(SiweNonce.nonce)
        .where(col(SiweNonce.expires_at) < before)
        .order_by(col(SiweNonce.expires_at))
        .limit(limit)
    )
    session.execute(delete(SiweNonce).where(col(SiweNonce.nonce).in_(victims.scalar_subquery())))


def consume_siwe_nonce(session: Session, nonce: str, now: datetime) -> bool:
    """Marks the nonce used if it is known, unused and unexpired; True when this call did.
    One conditional UPDATE, so two concurrent sign-ins cannot both use it."""
    result = session.execute(
        update(SiweNonce)
        .where(
            col(SiweNonce.nonce) == nonce,
            col(SiweNonce.used_at).is_(None),
            col(SiweNonce.expires_at) > now,
        )
        .values(used_at=now)
    )
    return int(cast(CursorResult[Any], result).rowcount) == 1


def siwe_nonce(session: Session, nonce: str) -> SiweNonce | None:
    return session.get(SiweNonce, nonce)


# --- invites -------------------------------------------------------------------------------


def invite_by_digest(session: Session, code_digest: str) -> Invite | None:
    return session.exec(select(Invite).where(col(Invite.code_digest) == code_digest)).first()


def use_invite(session: Session, invite_id: int, now: datetime, account_id: int) -> bool:
    result = session.execute(
        update(Invite)
        .where(col(Invite.id) == invite_id, col(Invite.used_at).is_(None))
        .values(used_at=now, used_by=account_id)
    )
    return int(cast(CursorResult[Any], result).rowcount) == 1


# --- EIP-712 nonces ------------------------------------------------------------------------


def add_used_signature_nonce(session: Session, address: str, nonce: str) -> bool:
    """Records the nonce as used; False when it already was (one ``INSERT ... ON CONFLICT DO
    NOTHING``, built once: a replay, or a concurrent request that won the race, inserts
    nothing)."""
    values = {"address": address, "nonce": nonce, "used_at": utc_now()}
    return insert_values_unless_taken(session, _USED_NONCE, values) is not None


_USED_NONCE: Table = UsedSignatureNonce.metadata.tables["used_signature_nonce"]


def accounts_holding_role(session: Session, role: str) -> list[Account]:
    """Every account of a verified, unsuspended organisation holding ``role``, by account id."""
    stmt = (
        select(Account)
        .join(Organization, col(Organization.id) == col(Account.organization_id))
        .join(OrganizationRole, col(OrganizationRole.organization_id) == col(Organization.id))
        .where(
            col(OrganizationRole.role) == role,
            col(Organization.verified_at).is_not(None),
            ~sa_exists().where(col(OrganizationSuspension.organization_id) == col(Organization.id)),
        )
        .order_by(col(Account.id))
    )
    return list(session.exec(stmt).all())
