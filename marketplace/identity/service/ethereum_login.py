"""Sign-In with Ethereum (EIP-4361): a single-use nonce, then a signed message that logs in a
self-custody account, or signs one up when it brings organisation details or an invite."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlmodel import Session

from marketplace import limits
from marketplace.errors import ServiceUnavailable
from marketplace.identity import repository, siwe
from marketplace.identity.errors import SignupRequired, SiweRejected
from marketplace.identity.schemas import SiweLoginRequest, SiweNonceResponse, TokenResponse
from marketplace.identity.service._common import log
from marketplace.identity.service.bearer_tokens import issue_token, refuse_if_suspended
from marketplace.identity.service.signup import check_email_free, create_account, membership
from marketplace.settings import Settings


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
        refuse_if_suspended(session, account.organization_id)
        return issue_token(session, settings, account, now, signed_up=False)
    if request.organization is None and request.invite_code is None:
        raise SignupRequired(
            f"no account for {checked.address}: sign up by sending a new signed message with "
            "'organization' (name and roles) or 'invite_code'"
        )
    email_key = check_email_free(session, request.email)
    joined = membership(session, settings, request.organization, request.invite_code, now)
    account = create_account(
        session,
        joined,
        email=request.email,
        email_key=email_key,
        address=checked.address,
        custodial=False,
        password_hash=None,
        now=now,
    )
    log.info("account created", extra={"fields": {"account_id": account.id, "custodial": False}})
    return issue_token(session, settings, account, now, signed_up=True)
