"""Identity over HTTP: sign-up, login (password, SIWE), logout, /me, invites, and the operator's
organisation endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from ledger.models import utc_now
from marketplace import limits
from marketplace.db import unit_of_work
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.identity import passwords, service
from marketplace.identity.auth import CurrentAccount, Operator
from marketplace.identity.errors import InvalidCredentials, WrongPassword
from marketplace.identity.schemas import (
    InviteCreate,
    InviteResponse,
    LoggedOutEverywhere,
    LoginRequest,
    LogoutResponse,
    MeResponse,
    OrganizationPage,
    OrganizationPublic,
    PasswordChange,
    PasswordChanged,
    RoleGrant,
    SignupRequest,
    SiweLoginRequest,
    SiweNonceResponse,
    SuspensionRequest,
    TokenResponse,
)
from marketplace.paging import ID_DIGITS
from marketplace.ratelimit import rate_limits_of
from marketplace.ratelimit.routes import client_network_of, per_client_network
from marketplace.runtime import Runtime

router = APIRouter(tags=["identity"])

OrganizationId = Annotated[
    int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="organisation id")
]


def _chain_id(runtime: Runtime) -> int | None:
    # The exchange's chain id; None until the chain has answered once.
    return runtime.chain_id


@router.post("/auth/signup", status_code=201, summary="Sign up with email and password")
def signup(
    body: SignupRequest, request: Request, session: SessionDep, runtime: RuntimeDep
) -> TokenResponse:
    """Creates a custodial account (the exchange generates and guards its key) in a new
    organisation (its admin) or, with an invite code, in an existing one."""
    rates = rate_limits_of(runtime)
    # The hashing slot first: a sign-up refused because every slot is busy is not counted
    # against its network's allowance (a burst once used it up for the hour). The password is
    # hashed before the first query opens the transaction (and takes SQLite's write lock).
    with passwords.hashing_slot():
        rates.hit(rates.rules.signup, client_network_of(request))
        password_hash = passwords.hashed(body.password)
    return service.signup_with_password(session, runtime.settings, body, password_hash, utc_now())


@router.post("/auth/login", summary="Log in with email and password")
def login(body: LoginRequest, request: Request, runtime: RuntimeDep) -> TokenResponse:
    return password_login(runtime, body, request.client.host if request.client else None)


def password_login(runtime: Runtime, body: LoginRequest, client_host: str | None) -> TokenResponse:
    """Two short units of work, and the password hash between them with no transaction open
    (it takes tens of milliseconds); a failed attempt is counted in the abuse-limit store.
    The login page signs in through here too."""
    now, settings, rates = utc_now(), runtime.settings, rate_limits_of(runtime)
    # A login beyond the hashing bound is refused here, before any database work.
    with passwords.hashing_slot():
        with unit_of_work(runtime.engine) as session:
            attempt = service.start_password_login(
                session, settings, rates, body.email, client_host
            )
        try:
            service.check_password(attempt, body.password)
        except InvalidCredentials:
            service.record_login_failure(rates, attempt)
            raise
    with unit_of_work(runtime.engine) as session:
        return service.finish_password_login(
            session, settings, rates, attempt, body.password, now=now
        )


@router.get(
    "/auth/siwe/nonce",
    summary="A fresh single-use nonce for Sign-In with Ethereum",
    dependencies=[Depends(per_client_network(lambda rules: rules.siwe_nonce))],
)
def siwe_nonce(session: SessionDep, runtime: RuntimeDep) -> SiweNonceResponse:
    return service.issue_siwe_nonce(session, runtime.settings, _chain_id(runtime), utc_now())


@router.post("/auth/siwe", summary="Sign in (or up) with a signed EIP-4361 message")
def siwe_login(body: SiweLoginRequest, session: SessionDep, runtime: RuntimeDep) -> TokenResponse:
    return service.siwe_login(session, runtime.settings, _chain_id(runtime), body, utc_now())


@router.post("/auth/logout", summary="Revoke the bearer token of this request")
def logout(principal: CurrentAccount, session: SessionDep) -> LogoutResponse:
    service.logout(session, principal, utc_now())
    return LogoutResponse()


@router.post(
    "/auth/logout-all",
    summary="Revoke every bearer token of your account, this one included",
)
def logout_everywhere(principal: CurrentAccount, session: SessionDep) -> LoggedOutEverywhere:
    """For a token that may have leaked: every session of the account ends. Whoever knows the
    password can log in again, so change it first when it may have leaked too
    (``POST /auth/password``)."""
    return service.logout_everywhere(session, principal, utc_now())


@router.post(
    "/auth/password",
    summary="Change your password; every other token of your account stops working",
)
def change_password(
    body: PasswordChange,
    principal: CurrentAccount,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> PasswordChanged:
    """Checks the current password (a wrong one counts as a failed login, and the login
    throttle applies), stores the new one and revokes every other bearer token of the account,
    in one transaction. Like login, it runs its own units of work so that no transaction is
    open while passwords are hashed."""
    session.close()  # the caller's token was read there; nothing stays open while hashing
    now, settings, rates = utc_now(), runtime.settings, rate_limits_of(runtime)
    client_host = request.client.host if request.client else None
    with passwords.hashing_slot():
        with unit_of_work(runtime.engine) as work:
            attempt = service.start_password_change(work, settings, rates, principal, client_host)
        try:
            service.check_current_password(attempt, body.current_password, body.new_password)
        except WrongPassword:
            service.record_wrong_password(rates, attempt)
            raise
        new_hash = passwords.hashed(body.new_password)
    with unit_of_work(runtime.engine) as work:
        return service.finish_password_change(work, rates, principal, attempt, new_hash, now=now)


@router.get("/me", summary="Who am I, and what may I do")
def me(principal: CurrentAccount, session: SessionDep) -> MeResponse:
    return service.me(session, principal)


@router.post("/organizations/me/invites", status_code=201, summary="Invite a member (admins only)")
def create_invite(
    body: InviteCreate, principal: CurrentAccount, session: SessionDep, runtime: RuntimeDep
) -> InviteResponse:
    return service.create_invite(session, runtime.settings, principal, body, utc_now())


@router.get("/organizations", summary="List organisations (operators only)")
def list_organizations(
    _: Operator,
    session: SessionDep,
    verified: Annotated[bool | None, Query(description="only (un)verified ones")] = None,
    limit: Annotated[int, Query(ge=1, le=limits.page_size_max)] = limits.page_size_default,
    offset: Annotated[int, Query(ge=0, le=limits.id_max)] = 0,
) -> OrganizationPage:
    return service.list_organizations(session, verified=verified, limit=limit, offset=offset)


@router.post(
    "/organizations/{organization_id}/verify",
    summary="Mark an organisation verified (operators only)",
)
def verify_organization(
    organization_id: OrganizationId, operator: Operator, session: SessionDep
) -> OrganizationPublic:
    return service.verify_organization(session, operator, organization_id, utc_now())


@router.post("/organizations/{organization_id}/roles", summary="Grant a role (operators only)")
def grant_role(
    organization_id: OrganizationId, body: RoleGrant, operator: Operator, session: SessionDep
) -> OrganizationPublic:
    return service.grant_role(session, operator, organization_id, body.role)


@router.post(
    "/organizations/{organization_id}/suspend",
    summary="Suspend an organisation: its accounts may not act (operators only)",
)
def suspend_organization(
    organization_id: OrganizationId,
    body: SuspensionRequest,
    operator: Operator,
    session: SessionDep,
    runtime: RuntimeDep,
) -> OrganizationPublic:
    """Also re-draws the arbitrators of the organisation's pending disputes
    (docs/disputes.md, "Re-drawing")."""
    return service.suspend_organization(
        session, runtime.settings, operator, organization_id, reason=body.reason, now=utc_now()
    )


@router.post(
    "/organizations/{organization_id}/reinstate",
    summary="Lift an organisation's suspension (operators only)",
)
def reinstate_organization(
    organization_id: OrganizationId, operator: Operator, session: SessionDep
) -> OrganizationPublic:
    return service.reinstate_organization(session, operator, organization_id)
