"""Organisations as other domains see them: looked up, their roles, the account that holds their
assets, and a row lock that serialises per-organisation counts. Other domains call these rather
than reading identity's tables."""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import Session

from marketplace.identity import repository
from marketplace.identity.errors import OrganizationNotFound
from marketplace.identity.models import Account, Organization
from marketplace.principal import OrgRole


def organization(session: Session, organization_id: int) -> Organization | None:
    return repository.organization(session, organization_id)


def is_suspended(session: Session, organization_id: int) -> bool:
    """Whether an operator has suspended the organisation (its accounts may not act)."""
    return repository.is_suspended(session, organization_id)


def suspended_among(session: Session, organization_ids: Collection[int]) -> set[int]:
    """Which of the organisations are suspended, in one read (for pages of listings, and a
    sale's buyer and supplier)."""
    return repository.suspended_ids(session, organization_ids)


def organization_roles(session: Session, organization_id: int) -> list[str]:
    """The roles the organisation holds, sorted; empty for an unknown organisation."""
    return repository.organization_roles(session, organization_id)


def holder_account(session: Session, organization_id: int) -> Account | None:
    """The account that holds an organisation's assets on certificates: its first admin (the
    lowest id), else its lowest-id account; None when it has no account."""
    return repository.holder_account(session, organization_id)


def lock_organization(session: Session, organization_id: int) -> Organization:
    """The organisation's row, locked for the transaction: serialises per-organisation counts
    (such as its objection rate limit) across API processes. Raises OrganizationNotFound."""
    org = repository.lock_organization(session, organization_id)
    if org is None:
        raise OrganizationNotFound(f"no organisation {organization_id}")
    return org


def arbitrators(session: Session) -> list[Account]:
    """The arbitrator pool: every account of a verified organisation holding the ``arbitrator``
    role, by account id (docs/disputes.md, "The draw")."""
    return repository.accounts_holding_role(session, OrgRole.arbitrator.value)
