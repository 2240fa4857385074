"""What operators do: verify organisations (the real-name check), grant roles, list
organisations, and bootstrap the first operator from the server's CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from eth_account import Account as EthAccount
from sqlmodel import Session

from ledger.models import as_utc
from marketplace import limits
from marketplace.identity import passwords, repository
from marketplace.identity.errors import (
    AlreadySuspended,
    GrantRefused,
    NotSuspended,
    OrganizationNameTaken,
    SuspensionRefused,
)
from marketplace.identity.models import (
    Account,
    MembershipRole,
    Organization,
    OrganizationSuspension,
)
from marketplace.identity.schemas import OrganizationPage, OrganizationPublic
from marketplace.identity.service._common import (
    append_journal,
    name_key_for,
    organization_public,
    organization_shown,
)
from marketplace.identity.service.organizations import lock_organization
from marketplace.identity.service.signup import (
    Membership,
    check_email_free,
    create_custodial_account,
)
from marketplace.principal import OrgRole, Principal
from marketplace.settings import Settings


def verify_organization(
    session: Session, operator: Principal, organization_id: int, now: datetime
) -> OrganizationPublic:
    """Marks the organisation verified (real-name/KYC done). Verifying twice changes nothing."""
    org = lock_organization(session, organization_id)
    if org.verified_at is None:
        org.verified_at = now
        org.verified_by = operator.account_id
        session.add(org)
        append_journal(
            session,
            "organization.verified",
            f"organization:{organization_id}",
            operator.address,
            organization_id=organization_id,
            operator_account_id=operator.account_id,
        )
    return organization_public(session, org)


#: What other domains do when an organisation is suspended, in the same transaction. Each hook
#: is called under the organisation's row lock, before the suspension is journaled, and takes
#: the row locks it needs then (rows before the journal head: docs/architecture.md, "Lock
#: order"); it returns what to do once ``organization.suspended`` is written, given the time.
#: The disputes domain re-draws the organisation's arbitrators' pending cases.
SuspensionHook = Callable[[Session, Settings, int], Callable[[datetime], None]]
suspension_hooks: list[SuspensionHook] = []


def suspend_organization(
    session: Session,
    settings: Settings,
    operator: Principal,
    organization_id: int,
    *,
    reason: str,
    now: datetime,
) -> OrganizationPublic:
    """Suspends the organisation: every live token of its accounts is revoked, and until it is
    reinstated its accounts' requests, logins and sign-ins are refused (403
    ``organization_suspended``); then the ``suspension_hooks`` run. An organisation holding the
    operator role is never suspended over HTTP (the exchange would lock its own operators
    out)."""
    org = lock_organization(session, organization_id)
    if OrgRole.operator.value in repository.organization_roles(session, organization_id):
        raise SuspensionRefused(
            f"organisation {organization_id} holds the operator role: the exchange's operators "
            "are not suspended over HTTP"
        )
    current = repository.suspension(session, organization_id)
    if current is not None:
        raise AlreadySuspended(
            f"organisation {organization_id} is already suspended (since "
            f"{as_utc(current.suspended_at):%Y-%m-%d %H:%M} UTC): {current.reason}"
        )
    repository.add_suspension(
        session,
        OrganizationSuspension(
            organization_id=organization_id,
            suspended_at=now,
            suspended_by=operator.account_id,
            reason=reason,
        ),
    )
    revoked = repository.revoke_tokens_of_organization(session, organization_id, now)
    then = [hook(session, settings, organization_id) for hook in suspension_hooks]
    append_journal(
        session,
        "organization.suspended",
        f"organization:{organization_id}",
        operator.address,
        organization_id=organization_id,
        operator_account_id=operator.account_id,
        reason=reason,
        tokens_revoked=revoked,
    )
    for step in then:
        step(now)
    return organization_public(session, org)


def reinstate_organization(
    session: Session, operator: Principal, organization_id: int
) -> OrganizationPublic:
    """Lifts a suspension. Tokens revoked by it stay revoked: its members log in again."""
    org = lock_organization(session, organization_id)
    if repository.suspension(session, organization_id) is None:
        raise NotSuspended(f"organisation {organization_id} is not suspended")
    repository.delete_suspension(session, organization_id)
    append_journal(
        session,
        "organization.reinstated",
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
    org = lock_organization(session, organization_id)
    if role.value not in repository.organization_roles(session, organization_id):
        repository.add_role(session, organization_id, role.value, granted_by=granted_by)
        session.flush()
        append_journal(
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
    ids = [o.id for o in rows if o.id is not None]
    roles = repository.roles_by_organization(session, ids)
    suspended = repository.suspensions(session, ids)
    items = [
        organization_shown(o, roles.get(o.id, []), suspended.get(o.id))
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
    email_key = check_email_free(session, email)
    key = name_key_for(organization_name)
    if repository.organization_by_name_key(session, key) is not None:
        raise OrganizationNameTaken(f"an organisation named {organization_name!r} already exists")
    org = Organization(name=organization_name, name_key=key, created_at=now, verified_at=now)
    if not repository.insert_unique(session, org):
        raise OrganizationNameTaken(f"an organisation named {organization_name!r} already exists")
    assert org.id is not None
    repository.add_role(session, org.id, OrgRole.operator.value, granted_by=None)
    membership = Membership(org, MembershipRole.admin, None, (OrgRole.operator.value,))
    account = create_custodial_account(
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
    append_journal(
        session,
        "organization.verified",
        f"organization:{org.id}",
        account.address,
        organization_id=org.id,
        operator_account_id=account.id,
        bootstrap=True,
    )
    return account
