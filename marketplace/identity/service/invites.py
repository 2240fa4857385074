"""Invites: an organisation's admin creates a single-use, expiring code that lets one more
person sign up into the organisation."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from marketplace.identity import tokens
from marketplace.identity.errors import AdminRequired
from marketplace.identity.models import Invite, MembershipRole
from marketplace.identity.schemas import InviteCreate, InviteResponse
from marketplace.identity.service._common import secret
from marketplace.principal import Principal
from marketplace.settings import Settings


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
            code_digest=tokens.digest(secret(settings), code, purpose="invite"),
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
