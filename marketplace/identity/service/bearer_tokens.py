"""Bearer tokens: issuing one at login or sign-up, turning one back into a ``Principal``,
revoking it at logout, and what ``GET /auth/me`` shows its holder."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from ledger.models import as_utc
from marketplace import limits
from marketplace.identity import repository, tokens
from marketplace.identity.errors import (
    InvalidToken,
    OrganizationSuspended,
    TokenExpired,
    TokenRevoked,
)
from marketplace.identity.models import Account, AuthToken, MembershipRole
from marketplace.identity.schemas import MeResponse, TokenResponse
from marketplace.identity.service._common import account_public, organization_public, secret
from marketplace.principal import OrgRole, Principal
from marketplace.settings import Settings


def issue_token(
    session: Session, settings: Settings, account: Account, now: datetime, *, signed_up: bool
) -> TokenResponse:
    assert account.id is not None
    # Each token issued deletes a bounded batch of long-expired ones, so the table holds the
    # live tokens and a week of expired ones, whatever the number of logins.
    repository.purge_expired_tokens(
        session, now - timedelta(seconds=limits.expired_token_kept_s), limits.token_purge_rows_max
    )
    token = tokens.new_secret(tokens.TOKEN_PREFIX)
    expires_at = now + timedelta(seconds=settings.token_ttl_s)
    session.add(
        AuthToken(
            token_digest=tokens.digest(secret(settings), token, purpose="bearer"),
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


def authenticate(session: Session, settings: Settings, token: str, now: datetime) -> Principal:
    if not tokens.is_well_formed(token, tokens.TOKEN_PREFIX):
        raise InvalidToken("the bearer token is malformed; log in again for a new one")
    found = repository.token_with_holder(
        session, tokens.digest(secret(settings), token, purpose="bearer")
    )
    if found is None:
        raise InvalidToken("the bearer token is not recognised; log in again")
    if found.revoked_at is not None:
        raise TokenRevoked("the bearer token was revoked (logged out); log in again")
    if as_utc(found.expires_at) <= now:
        raise TokenExpired("the bearer token has expired; log in again")
    if found.suspended:
        raise suspended_refusal()
    return Principal(
        account=found.account,
        organization=found.organization,
        roles=found.roles,
        token_id=found.token_id,
    )


def suspended_refusal() -> OrganizationSuspended:
    """The refusal every request, login and sign-in of a suspended organisation's accounts gets
    (403 ``organization_suspended``); a sale that finds its buyer suspended once it holds the
    buyer's organisation gives it too (``listings.service.held_for_sale``)."""
    return OrganizationSuspended(
        "your organisation is suspended by the exchange's operators: it may not act until they "
        "reinstate it"
    )


def refuse_if_suspended(session: Session, organization_id: int) -> None:
    if repository.is_suspended(session, organization_id):
        raise suspended_refusal()


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
