"""Organisations as other domains see them: a row lock that serialises per-organisation
counts. Other domains call these rather than reading identity's tables."""

from __future__ import annotations

from sqlmodel import Session

from marketplace.identity import repository
from marketplace.identity.errors import OrganizationNotFound
from marketplace.identity.models import Organization


def lock_organization(session: Session, organization_id: int) -> Organization:
    """The organisation's row, locked for the transaction: serialises per-organisation counts
    (such as its objection rate limit) across API processes. Raises OrganizationNotFound."""
    org = repository.lock_organization(session, organization_id)
    if org is None:
        raise OrganizationNotFound(f"no organisation {organization_id}")
    return org
