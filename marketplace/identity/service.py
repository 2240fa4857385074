"""Identity's rules: sign-up, login (password and SIWE), tokens, organisations, roles,
verification, invites, custodial signing. Never commits; the caller's unit of work does.

Journal payloads hold ids, addresses and roles; never emails, names or other personal data.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from eth_account import Account as EthAccount
from sqlmodel import Session

from ledger import journal
from marketplace import limits
from marketplace.errors import ServiceUnavailable
from marketplace.identity import keys, passwords, repository, signing, siwe, throttle, tokens
from marketplace.identity.errors import (
    AddressTaken,
    AdminRequired,
    EmailTaken,
    GrantRefused,
    InvalidCredentials,
    InvalidInvite,
    InvalidToken,
    NonceReused,
    NotCustodial,
    OrganizationNameTaken,
    OrganizationNotFound,
    PasswordChecksBusy,
    SignatureRejected,
    SignupRequired,
    SiweRejected,
    TokenExpired,
    TokenRevoked,
)
from marketplace.identity.models import (
    SELF_SERVICE_ROLES,
    Account,
    AuthToken,
    CustodialKey,
    Invite,
    MembershipRole,
    Organization,
    OrgRole,
)
from marketplace.identity.models import as_utc as _utc
from marketplace.identity.schemas import (
    AccountPublic,
    InviteCreate,
    InviteResponse,
    MeResponse,
    OrganizationCreate,
    OrganizationPage,
    OrganizationPublic,
    SignupRequest,
    SiweLoginRequest,
    SiweNonceResponse,
    TokenResponse,
)
from marketplace.settings import Settings

log = logging.getLogger("databourse.identity")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the account behind the bearer token, its organisation and roles."""

    account: Account
    organization: Organization
    roles: frozenset[str]
    token_id: int

    @property
    def account_id(self) -> int:
        assert self.account.id is not None
        return self.account.id

    @property
    def verified(self) -> bool:
        return self.organization.verified_at is not None

    @property
    def address(self) -> str:
        return self.account.address


def _email_key(email: str) -> str:
    return email.strip().lower()


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _secret(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def _journal(session: Session, kind: str, subject: str, actor: str, **payload: Any) -> None:
    journal.append(session, kind=kind, subject=subject, actor=actor, payload=payload)


def organization_public(session: Session, org: Organization) -> OrganizationPublic:
    assert org.id is not None
    return OrganizationPublic(
        id=org.id,
        name=org.name,
        roles=repository.organization_roles(session, org.id),
        verified=org.verified_at is not None,
        verified_at=_utc(org.verified_at) if org.verified_at else None,
    )


def account_public(account: Account) -> AccountPublic:
    assert account.id is not None
    return AccountPublic(
        id=account.id, email=account.email, address=account.address, custodial=account.custodial
    )


# --- sign-up -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Membership:
    organization: Organization
    membership_role: MembershipRole
    invite_id: int | None
    new_roles: tuple[str, ...]  # roles of a newly created organisation; () when joining


def _new_organization(session: Session, spec: OrganizationCreate, now: datetime) -> _Membership:
    roles = tuple(dict.fromkeys(spec.roles))
    assert all(OrgRole(r) in SELF_SERVICE_ROLES for r in roles)
    key = _name_key(spec.name)
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
    return _Membership(org, MembershipRole.admin, None, roles)


def _join_by_invite(session: Session, settings: Settings, code: str, now: datetime) -> _Membership:
    bad = InvalidInvite("the invite code is not valid: ask your organisation's admin for a new one")
    if not tokens.is_well_formed(code, tokens.INVITE_PREFIX):
        raise bad
    invite = repository.invite_by_digest(
        session, tokens.digest(_secret(settings), code, purpose="invite")
    )
    if invite is None:
        raise bad
    if invite.used_at is not None:
        raise InvalidInvite("this invite code was already used; ask for a new one")
    if _utc(invite.expires_at) <= now:
        raise InvalidInvite("this invite code has expired; ask for a new one")
    org = repository.organization(session, invite.organization_id)
    assert org is not None
    return _Membership(org, MembershipRole(invite.membership_role), invite.id, ())


def _membership(
    session: Session,
    settings: Settings,
    organization: OrganizationCreate | None,
    invite_code: str | None,
    now: datetime,
) -> _Membership:
    if organization is not None:
        return _new_organization(session, organization, now)
    assert invite_code is not None
    return _join_by_invite(session, settings, invite_code, now)


def _check_email_free(session: Session, email: str | None) -> str | None:
    if email is None:
        return None
    key = _email_key(email)
    if repository.account_by_email_key(session, key) is not None:
        raise EmailTaken("an account with this email already exists; log in instead")
    return key


def _create_account(
    session: Session,
    membership: _Membership,
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
    if membership.new_roles:
        _journal(
            session,
            "organization.created",
            f"organization:{org.id}",
            address,
            organization_id=org.id,
            roles=list(membership.new_roles),
        )
    _journal(
        session,
        "account.created",
        f"account:{account.id}",
        address,
        account_id=account.id,
        organization_id=org.id,
        address=address,
        custodial=custodial,
        membership_role=membership.membership_role.value,
        invite_id=membership.invite_id,
    )
    return account


def _issue_token(
    session: Session, settings: Settings, account: Account, now: datetime, *, signed_up: bool
) -> TokenResponse:
    assert account.id is not None
    token = tokens.new_secret(tokens.TOKEN_PREFIX)
    expires_at = now + timedelta(seconds=settings.token_ttl_s)
    session.add(
        AuthToken(
            token_digest=tokens.digest(_secret(settings), token, purpose="bearer"),
            account_id=account.id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return TokenResponse(
        access_token=token,
        expires_at=expires_at,
        account=account_public(account),
        signed_up=signed_up,
    )


def _create_custodial_account(
    session: Session,
    settings: Settings,
    membership: _Membership,
    *,
    email: str,
    email_key: str | None,
    password_hash: str,
    now: datetime,
) -> Account:
    """An account whose key the exchange generates and keeps sealed under the master key."""
    sealed = keys.generate(settings.master_key_bytes)
    account = _create_account(
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
    session: Session, settings: Settings, request: SignupRequest, now: datetime
) -> TokenResponse:
    """A custodial account: the exchange generates its key and keeps it encrypted."""
    # Hashed first, before the first query opens the transaction (and takes SQLite's write lock).
    password_hash = passwords.hash_password(request.password)
    email_key = _check_email_free(session, request.email)
    membership = _membership(session, settings, request.organization, request.invite_code, now)
    account = _create_custodial_account(
        session,
        settings,
        membership,
        email=request.email,
        email_key=email_key,
        password_hash=password_hash,
        now=now,
    )
    log.info("account created", extra={"fields": {"account_id": account.id, "custodial": True}})
    return _issue_token(session, settings, account, now, signed_up=True)


# --- password login ------------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordAttempt:
    """A login let through the throttle, with the hash its password is to be checked against
    (None for an unknown login name: a dummy is hashed instead)."""

    throttle: throttle.ThrottleKeys
    account_id: int | None
    password_hash: str | None


def start_password_login(
    session: Session, settings: Settings, email: str, client_host: str | None, now: datetime
) -> PasswordAttempt:
    """Raises LoginThrottled when this client has failed too often for this login name. The
    password is checked next, by ``check_password``, outside any transaction."""
    keys = throttle.keys_for(_secret(settings), _email_key(email), client_host)
    throttle.check(session, keys, now)
    account = repository.account_by_email_key(session, _email_key(email))
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
    session: Session, settings: Settings, attempt: PasswordAttempt, password: str, now: datetime
) -> TokenResponse:
    assert attempt.account_id is not None
    account = repository.account(session, attempt.account_id)
    if account is None or account.password_hash != attempt.password_hash:
        raise InvalidCredentials("wrong email or password")  # changed while it was checked
    assert account.password_hash is not None
    if passwords.needs_rehash(account.password_hash):
        with contextlib.suppress(PasswordChecksBusy):  # the next login rehashes
            account.password_hash = passwords.hash_password(password)
            session.add(account)
    throttle.clear_client(session, attempt.throttle)
    return _issue_token(session, settings, account, now, signed_up=False)


def record_login_failure(session: Session, attempt: PasswordAttempt, now: datetime) -> None:
    throttle.record_failure(session, attempt.throttle, now)


# --- Sign-In with Ethereum -----------------------------------------------------------------


def _require_chain(chain_id: int | None) -> None:
    if chain_id is None:
        raise ServiceUnavailable(
            "the exchange has not reached its chain yet, so Sign-In with Ethereum cannot check "
            "chain ids; try again shortly, or log in with a password"
        )


def issue_siwe_nonce(
    session: Session, settings: Settings, chain_id: int | None, now: datetime
) -> SiweNonceResponse:
    _require_chain(chain_id)
    repository.purge_siwe_nonces(session, now, limits.siwe_nonce_purge_rows_max)
    nonce = secrets.token_hex(16)  # EIP-4361 wants at least 8 alphanumerics
    expires_at = now + timedelta(seconds=limits.siwe_nonce_ttl_s)
    repository.add_siwe_nonce(session, nonce, now, expires_at)
    return SiweNonceResponse(
        nonce=nonce,
        domain=settings.siwe_domain,
        uri=settings.public_url,
        chain_id=chain_id,
        statement=siwe.STATEMENT,
        expires_at=expires_at,
    )


def _consume_nonce(session: Session, nonce: str, now: datetime) -> None:
    if repository.consume_siwe_nonce(session, nonce, now):
        return
    row = repository.siwe_nonce(session, nonce)
    if row is None:
        raise SiweRejected("unknown nonce: get a fresh one from GET /auth/siwe/nonce")
    if row.used_at is not None:
        raise SiweRejected("nonce already used: get a fresh one from GET /auth/siwe/nonce")
    raise SiweRejected("nonce expired: get a fresh one from GET /auth/siwe/nonce")


def siwe_login(
    session: Session,
    settings: Settings,
    chain_id: int | None,
    request: SiweLoginRequest,
    now: datetime,
) -> TokenResponse:
    """Signs in (or, with organisation details or an invite, signs up) a self-custody
    account. Checks form, domain, chain id, times and signature, then consumes the nonce."""
    _require_chain(chain_id)
    assert chain_id is not None
    try:
        checked = siwe.check(
            request.message,
            request.signature,
            domain=settings.siwe_domain,
            chain_id=chain_id,
            now=now,
        )
    except siwe.SiweRejected as exc:
        raise SiweRejected(str(exc)) from exc
    _consume_nonce(session, checked.nonce, now)
    account = repository.account_by_address_key(session, checked.address.lower())
    if account is not None:
        return _issue_token(session, settings, account, now, signed_up=False)
    if request.organization is None and request.invite_code is None:
        raise SignupRequired(
            f"no account for {checked.address}: sign up by sending a new signed message with "
            "'organization' (name and roles) or 'invite_code'"
        )
    email_key = _check_email_free(session, request.email)
    membership = _membership(session, settings, request.organization, request.invite_code, now)
    account = _create_account(
        session,
        membership,
        email=request.email,
        email_key=email_key,
        address=checked.address,
        custodial=False,
        password_hash=None,
        now=now,
    )
    log.info("account created", extra={"fields": {"account_id": account.id, "custodial": False}})
    return _issue_token(session, settings, account, now, signed_up=True)


# --- tokens --------------------------------------------------------------------------------


def authenticate(session: Session, settings: Settings, token: str, now: datetime) -> Principal:
    if not tokens.is_well_formed(token, tokens.TOKEN_PREFIX):
        raise InvalidToken("the bearer token is malformed; log in again for a new one")
    row = repository.token_by_digest(
        session, tokens.digest(_secret(settings), token, purpose="bearer")
    )
    if row is None:
        raise InvalidToken("the bearer token is not recognised; log in again")
    if row.revoked_at is not None:
        raise TokenRevoked("the bearer token was revoked (logged out); log in again")
    if _utc(row.expires_at) <= now:
        raise TokenExpired("the bearer token has expired; log in again")
    account = repository.account(session, row.account_id)
    assert account is not None
    assert account.id is not None
    org = repository.organization(session, account.organization_id)
    assert org is not None
    assert org.id is not None
    roles = frozenset(repository.organization_roles(session, org.id))
    assert row.id is not None
    return Principal(account=account, organization=org, roles=roles, token_id=row.id)


def logout(session: Session, principal: Principal, now: datetime) -> None:
    repository.revoke_token(session, principal.token_id, now)


def me(session: Session, principal: Principal) -> MeResponse:
    verified = principal.verified
    return MeResponse(
        account=account_public(principal.account),
        organization=organization_public(session, principal.organization),
        membership_role="admin"
        if principal.account.membership_role == MembershipRole.admin
        else "member",
        can_list=verified and OrgRole.supplier in principal.roles,
        can_buy=verified and OrgRole.buyer in principal.roles,
    )


# --- invites -------------------------------------------------------------------------------


def create_invite(
    session: Session,
    settings: Settings,
    principal: Principal,
    request: InviteCreate,
    now: datetime,
) -> InviteResponse:
    if principal.account.membership_role != MembershipRole.admin:
        raise AdminRequired("only an admin of your organisation can invite members")
    code = tokens.new_secret(tokens.INVITE_PREFIX)
    expires_at = now + timedelta(seconds=request.ttl_s)
    org_id = principal.organization.id
    assert org_id is not None
    session.add(
        Invite(
            code_digest=tokens.digest(_secret(settings), code, purpose="invite"),
            organization_id=org_id,
            membership_role=request.membership_role,
            created_by=principal.account_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return InviteResponse(
        code=code,
        organization_id=org_id,
        membership_role=request.membership_role,
        expires_at=expires_at,
    )


# --- operators -----------------------------------------------------------------------------


def _locked_organization(session: Session, organization_id: int) -> Organization:
    org = repository.lock_organization(session, organization_id)
    if org is None:
        raise OrganizationNotFound(f"no organisation {organization_id}")
    return org


def lock_organization(session: Session, organization_id: int) -> Organization:
    """The organisation's row, locked for the transaction: serialises per-organisation counts
    (such as its objection rate limit) across API processes."""
    return _locked_organization(session, organization_id)


def verify_organization(
    session: Session, operator: Principal, organization_id: int, now: datetime
) -> OrganizationPublic:
    """Marks the organisation verified (real-name/KYC done). Verifying twice changes nothing."""
    org = _locked_organization(session, organization_id)
    if org.verified_at is None:
        org.verified_at = now
        org.verified_by = operator.account_id
        session.add(org)
        _journal(
            session,
            "organization.verified",
            f"organization:{organization_id}",
            operator.address,
            organization_id=organization_id,
            operator_account_id=operator.account_id,
        )
    return organization_public(session, org)


def _grant(
    session: Session,
    organization_id: int,
    role: OrgRole,
    *,
    actor: str,
    granted_by: int | None,
    via: str,
) -> OrganizationPublic:
    """Grants a role. Granting one the organisation holds changes nothing."""
    org = _locked_organization(session, organization_id)
    if role.value not in repository.organization_roles(session, organization_id):
        repository.add_role(session, organization_id, role.value, granted_by=granted_by)
        session.flush()
        _journal(
            session,
            "organization.role_granted",
            f"organization:{organization_id}",
            actor,
            organization_id=organization_id,
            role=role.value,
            via=via,
        )
    return organization_public(session, org)


def grant_role(
    session: Session, operator: Principal, organization_id: int, role: OrgRole
) -> OrganizationPublic:
    """An operator grants a role over HTTP: never ``operator`` (only the server's CLI grants it,
    ``grant_role_on_server``), and never to the operator's own organisation."""
    if role == OrgRole.operator:
        raise GrantRefused(
            "the operator role is not granted over HTTP: run 'bourse operator grant "
            f"{organization_id}' on the exchange's server"
        )
    if organization_id == operator.organization.id:
        raise GrantRefused("an operator may not grant roles to its own organisation")
    return _grant(
        session,
        organization_id,
        role,
        actor=operator.address,
        granted_by=operator.account_id,
        via="http",
    )


def grant_role_on_server(
    session: Session, settings: Settings, organization_id: int, role: OrgRole
) -> OrganizationPublic:
    """A grant by whoever runs the server's CLI against its database (``bourse operator
    grant``): the only way to make another operator. The journal's actor is the exchange's
    recorder address."""
    exchange = EthAccount.from_key(settings.anchor_recorder_key.get_secret_value()).address
    return _grant(session, organization_id, role, actor=exchange, granted_by=None, via="cli")


def list_organizations(
    session: Session, *, verified: bool | None, limit: int, offset: int
) -> OrganizationPage:
    assert 0 < limit <= limits.page_size_max
    assert offset >= 0
    rows, total = repository.list_organizations(
        session, verified=verified, limit=limit, offset=offset
    )
    roles = repository.roles_by_organization(session, [o.id for o in rows if o.id is not None])
    items = [
        OrganizationPublic(
            id=o.id,
            name=o.name,
            roles=roles.get(o.id, []),
            verified=o.verified_at is not None,
            verified_at=_utc(o.verified_at) if o.verified_at else None,
        )
        for o in rows
        if o.id is not None
    ]
    return OrganizationPage(items=items, total=total, limit=limit, offset=offset)


def create_operator(
    session: Session,
    settings: Settings,
    *,
    email: str,
    password: str,
    organization_name: str,
    now: datetime,
) -> Account:
    """Bootstraps an operator: a verified organisation holding the operator role, and its admin
    (a custodial account). Used by ``bourse operator create``, since no one can grant the
    first operator role over HTTP."""
    password_hash = passwords.hash_password(password)
    email_key = _check_email_free(session, email)
    key = _name_key(organization_name)
    if repository.organization_by_name_key(session, key) is not None:
        raise OrganizationNameTaken(f"an organisation named {organization_name!r} already exists")
    org = Organization(name=organization_name, name_key=key, created_at=now, verified_at=now)
    if not repository.insert_unique(session, org):
        raise OrganizationNameTaken(f"an organisation named {organization_name!r} already exists")
    assert org.id is not None
    repository.add_role(session, org.id, OrgRole.operator.value, granted_by=None)
    membership = _Membership(org, MembershipRole.admin, None, (OrgRole.operator.value,))
    account = _create_custodial_account(
        session,
        settings,
        membership,
        email=email,
        email_key=email_key,
        password_hash=password_hash,
        now=now,
    )
    org.verified_by = account.id
    session.add(org)
    _journal(
        session,
        "organization.verified",
        f"organization:{org.id}",
        account.address,
        organization_id=org.id,
        operator_account_id=account.id,
        bootstrap=True,
    )
    return account


# --- signatures ----------------------------------------------------------------------------


def sign_as(
    session: Session, settings: Settings, account: Account, document: dict[str, Any]
) -> str:
    """Signs an EIP-712 document with a custodial account's key (decrypted only here)."""
    if not account.custodial or account.id is None:
        raise NotCustodial("this account holds its own key: sign locally and send the signature")
    row = repository.custodial_key(session, account.id)
    assert row is not None, "a custodial account always has its key"
    private_key = keys.open_sealed(
        settings.master_key_bytes,
        keys.SealedKey(row.address, row.master_key_id, row.nonce, row.ciphertext),
    )
    return signing.sign(private_key, document)


def consume_signature_nonce(
    session: Session, address: str, nonce: int, deadline_s: int, now_s: int
) -> None:
    """Accepts an EIP-712 (nonce, deadline) once per signer; raises on expiry or replay."""
    try:
        signing.check_nonce(nonce)
        signing.check_deadline(deadline_s, now_s)
    except signing.SignatureError as exc:
        raise SignatureRejected(str(exc)) from exc
    if not repository.add_used_signature_nonce(session, address.lower(), str(nonce)):
        raise NonceReused(f"nonce {nonce} was already used by {address}; sign again")
