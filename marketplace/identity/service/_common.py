"""What the service modules share: normalised login and organisation names, the secret that
keys token digests, journal entries, and the public shapes of accounts and organisations."""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc
from marketplace.identity import repository
from marketplace.identity.models import OrganizationSuspension
from marketplace.identity.schemas import AccountPublic, OrganizationPublic
from marketplace.principal import PrincipalAccount, PrincipalOrganization
from marketplace.settings import Settings

log = logging.getLogger("databourse.identity")


def email_key_for(email: str) -> str:
    return email.strip().lower()


def name_key_for(name: str) -> str:
    return " ".join(name.split()).casefold()


def secret(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def append_journal(session: Session, kind: str, subject: str, actor: str, **payload: Any) -> None:
    journal.append(session, kind=kind, subject=subject, actor=actor, payload=payload)


def organization_public(session: Session, org: PrincipalOrganization) -> OrganizationPublic:
    assert org.id is not None
    return organization_shown(
        org, repository.organization_roles(session, org.id), repository.suspension(session, org.id)
    )


def organization_shown(
    org: PrincipalOrganization, roles: list[str], suspension: OrganizationSuspension | None
) -> OrganizationPublic:
    assert org.id is not None
    return OrganizationPublic(
        id=org.id,
        name=org.name,
        roles=roles,
        verified=org.verified_at is not None,
        verified_at=as_utc(org.verified_at) if org.verified_at else None,
        suspended=suspension is not None,
        suspended_at=as_utc(suspension.suspended_at) if suspension else None,
        suspension_reason=suspension.reason if suspension else None,
    )


def account_public(account: PrincipalAccount) -> AccountPublic:
    assert account.id is not None
    return AccountPublic(
        id=account.id, email=account.email, address=account.address, custodial=account.custodial
    )
