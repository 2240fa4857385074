"""Sign-up: a new account joins a new organisation (as its admin) or an existing one (with an
invite). Password sign-up makes a custodial account; Sign-In with Ethereum signs up a
self-custody one through ``membership`` and ``create_account`` here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from ledger.models import as_utc
from marketplace.identity import keys, repository, tokens
from marketplace.identity.errors import (
    AddressTaken,
    EmailTaken,
    InvalidInvite,
    OrganizationNameTaken,
)
from marketplace.identity.models import (
    SELF_SERVICE_ROLES,
    Account,
    CustodialKey,
    MembershipRole,
    Organization,
)
from marketplace.identity.schemas import OrganizationCreate, SignupRequest, TokenResponse
from marketplace.identity.service._common import (
    append_journal,
    email_key_for,
    log,
    name_key_for,
    secret,
)
from marketplace.identity.service.bearer_tokens import issue_token, refuse_if_suspended
from marketplace.principal import OrgRole
from marketplace.settings import Settings


@dataclass(frozen=True)
class Membership:
    organization: Organization
    membership_role: MembershipRole
    invite_id: int | None
    new_roles: tuple[str, ...]  # roles of a newly created organisation; () when joining


def _new_organization(session: Session, spec: OrganizationCreate, now: datetime) -> Membership:
    roles = tuple(dict.fromkeys(spec.roles))
    assert all(OrgRole(r) in SELF_SERVICE_ROLES for r in roles)
    key = name_key_for(spec.name)
    taken = OrganizationNameTaken(
        f"an organisation named {spec.name!r} already exists; pick another name, or ask its "
        "admin for an invite"
    )
    if repository.organization_by_name_key(session, key) is not None:
        raise taken
    org = Organization(name=spec.name, name_key=key, created_at=now)
    if not repository.insert_unique(session, org):
        raise taken
    assert org.id is not None
    for role in roles:
        repository.add_role(session, org.id, role, granted_by=None)
    return Membership(org, MembershipRole.admin, None, roles)


def _join_by_invite(session: Session, settings: Settings, code: str, now: datetime) -> Membership:
    bad = InvalidInvite("the invite code is not valid: ask your organisation's admin for a new one")
    if not tokens.is_well_formed(code, tokens.INVITE_PREFIX):
        raise bad
    invite = repository.invite_by_digest(
        session, tokens.digest(secret(settings), code, purpose="invite")
    )
    if invite is None:
        raise bad
    if invite.used_at is not None:
        raise InvalidInvite("this invite code was already used; ask for a new one")
    if as_utc(invite.expires_at) <= now:
        raise InvalidInvite("this invite code has expired; ask for a new one")
    org = repository.organization(session, invite.organization_id)
    assert org is not None
    refuse_if_suspended(session, invite.organization_id)
    return Membership(org, MembershipRole(invite.membership_role), invite.id, ())


def membership(
    session: Session,
    settings: Settings,
    organization: OrganizationCreate | None,
    invite_code: str | None,
    now: datetime,
) -> Membership:
    if organization is not None:
        return _new_organization(session, organization, now)
    assert invite_code is not None
    return _join_by_invite(session, settings, invite_code, now)


def check_email_free(session: Session, email: str | None) -> str | None:
    if email is None:
        return None
    key = email_key_for(email)
    if repository.account_by_email_key(session, key) is not None:
        raise EmailTaken("an account with this email already exists; log in instead")
    return key


def _journal_created(session: Session, membership: Membership, account: Account) -> None:
    org = membership.organization
    if membership.new_roles:
        append_journal(
            session,
            "organization.created",
            f"organization:{org.id}",
            account.address,
            organization_id=org.id,
            roles=list(membership.new_roles),
        )
    append_journal(
        session,
        "account.created",
        f"account:{account.id}",
        account.address,
        account_id=account.id,
        organization_id=org.id,
        address=account.address,
        custodial=account.custodial,
        membership_role=membership.membership_role.value,
        invite_id=membership.invite_id,
    )


def create_account(
    session: Session,
    membership: Membership,
    *,
    email: str | None,
    email_key: str | None,
    address: str,
    custodial: bool,
    password_hash: str | None,
    now: datetime,
) -> Account:
    org = membership.organization
    assert org.id is not None
    account = Account(
        organization_id=org.id,
        membership_role=membership.membership_role.value,
        email=email,
        email_key=email_key,
        address=address,
        address_key=address.lower(),
        custodial=custodial,
        password_hash=password_hash,
        created_at=now,
    )
    if not repository.insert_unique(session, account):
        if email_key and repository.account_by_email_key(session, email_key):
            raise EmailTaken("an account with this email already exists; log in instead")
        raise AddressTaken(f"the address {address} already has an account; sign in instead")
    assert account.id is not None
    if membership.invite_id is not None and not repository.use_invite(
        session, membership.invite_id, now, account.id
    ):
        raise InvalidInvite("this invite code was already used; ask for a new one")
    _journal_created(session, membership, account)
    return account


def create_custodial_account(
    session: Session,
    settings: Settings,
    membership: Membership,
    *,
    email: str,
    email_key: str | None,
    password_hash: str,
    now: datetime,
) -> Account:
    """An account whose key the exchange generates and keeps sealed under the master key."""
    sealed = keys.generate(settings.master_key_bytes)
    account = create_account(
        session,
        membership,
        email=email,
        email_key=email_key,
        address=sealed.address,
        custodial=True,
        password_hash=password_hash,
        now=now,
    )
    assert account.id is not None
    session.add(
        CustodialKey(
            account_id=account.id,
            address=sealed.address,
            master_key_id=sealed.master_key_id,
            nonce=sealed.nonce,
            ciphertext=sealed.ciphertext,
            created_at=now,
        )
    )
    return account


def signup_with_password(
    session: Session,
    settings: Settings,
    request: SignupRequest,
    password_hash: str,
    now: datetime,
) -> TokenResponse:
    """A custodial account: the exchange generates its key and keeps it encrypted.
    ``password_hash``: the request's password, hashed by the caller before this transaction."""
    email_key = check_email_free(session, request.email)
    joined = membership(session, settings, request.organization, request.invite_code, now)
    account = create_custodial_account(
        session,
        settings,
        joined,
        email=request.email,
        email_key=email_key,
        password_hash=password_hash,
        now=now,
    )
    log.info("account created", extra={"fields": {"account_id": account.id, "custodial": True}})
    return issue_token(session, settings, account, now, signed_up=True)
