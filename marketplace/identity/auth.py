"""FastAPI dependencies for who is calling, as ``Annotated`` aliases.

``CurrentAccount`` checks the bearer token on every request; ``OptionalAccount`` checks it when
one is sent. ``require_role(...)`` and ``require_verified(...)`` build guards on top of
``CurrentAccount``; the aliases below are what routes use, so a permission check is one
parameter, never code copied into a route. The guards are ``async`` (they only compare what
the resolver read) so that FastAPI does not hop to a worker thread to run them.

Web pages resolve the caller here too, with the same token check and the same guards: a page
route also accepts the token from the session cookie (``PageAccount``, ``PageOperator``, ...),
which the JSON API never reads (so a cross-site form cannot act through the API).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledger.models import utc_now
from marketplace import limits
from marketplace.deps import SessionDep, runtime_of
from marketplace.errors import Unauthorized
from marketplace.identity import service
from marketplace.identity.errors import NotAuthenticated
from marketplace.principal import (
    OrgRole,
    Principal,
    check_role,
    check_verified,
    check_verified_organization,
)

# Declares the scheme in the OpenAPI document; the header is checked below, with our own errors.
_bearer_scheme = HTTPBearer(
    auto_error=False, description="A token from POST /auth/login or POST /auth/siwe"
)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if header is None:
        raise NotAuthenticated(
            "missing Authorization header: send 'Authorization: Bearer <token>' with a token "
            "from POST /auth/login or POST /auth/siwe"
        )
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > limits.bearer_token_length_max:
        raise NotAuthenticated("malformed Authorization header: use 'Bearer <token>'")
    return token


SESSION_COOKIE = "databourse_session"  # holds a bearer token; read by page routes only


def get_current_account(
    request: Request,
    session: SessionDep,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
) -> Principal:
    settings = runtime_of(request).settings
    return service.authenticate(session, settings, bearer_token(request), utc_now())


CurrentAccount = Annotated[Principal, Depends(get_current_account)]


def get_optional_account(request: Request, session: SessionDep) -> Principal | None:
    """The caller when a bearer token is sent (checked like ``CurrentAccount``); None for the
    public. For routes anyone may read that show more to the owner."""
    if request.headers.get("authorization") is None:
        return None
    settings = runtime_of(request).settings
    return service.authenticate(session, settings, bearer_token(request), utc_now())


OptionalAccount = Annotated[Principal | None, Depends(get_optional_account)]


def session_token(request: Request) -> str | None:
    """The bearer token a page request carries: the Authorization header, else the session
    cookie; None when neither is there."""
    if request.headers.get("authorization") is not None:
        return bearer_token(request)
    token = request.cookies.get(SESSION_COOKIE, "").strip()
    return token or None


def get_optional_page_account(request: Request, session: SessionDep) -> Principal | None:
    """The signed-in caller of a page, or None for the public: a session cookie that no longer
    works (expired, revoked) makes the page anonymous rather than an error."""
    token = session_token(request)
    if token is None:
        return None
    try:
        return service.authenticate(session, runtime_of(request).settings, token, utc_now())
    except Unauthorized:
        if request.headers.get("authorization") is not None:
            raise
        return None


OptionalPageAccount = Annotated[Principal | None, Depends(get_optional_page_account)]


async def get_page_account(principal: OptionalPageAccount) -> Principal:
    """The signed-in caller of a page; pages answer NotAuthenticated with the login page."""
    if principal is None:
        raise NotAuthenticated("sign in to see this page")
    return principal


PageAccount = Annotated[Principal, Depends(get_page_account)]
_Resolver = Callable[..., Principal]


def _resolved_by(
    guard: Callable[[Principal], Awaitable[Principal]], via: _Resolver
) -> Callable[[Principal], Awaitable[Principal]]:
    # The annotation is set here, not written in the signature: postponed annotations are
    # evaluated in the module's namespace, where the local ``via`` does not exist.
    guard.__annotations__["principal"] = Annotated[Principal, Depends(via)]
    return guard


def require_role(
    *roles: OrgRole | str, via: _Resolver = get_current_account
) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through an organisation holding any of ``roles``. ``via`` is how
    the caller is found: the bearer token (API) or ``get_page_account`` (pages)."""
    wanted = frozenset(OrgRole(r).value for r in roles)
    assert wanted, "require_role needs at least one role"

    async def guard(principal: Principal) -> Principal:
        check_role(principal, wanted)
        return principal

    return _resolved_by(guard, via)


def require_verified(
    role: OrgRole | str, via: _Resolver = get_current_account
) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency for acting in ``role`` on the market (listing needs a verified supplier,
    buying a verified buyer)."""
    wanted = OrgRole(role)

    async def guard(principal: Principal) -> Principal:
        check_verified(principal, wanted)
        return principal

    return _resolved_by(guard, via)


async def require_verified_organization(principal: CurrentAccount) -> Principal:
    """A dependency for acts any organisation may do once verified, whatever its roles (filing
    an objection)."""
    check_verified_organization(principal)
    return principal


Operator = Annotated[Principal, Depends(require_role(OrgRole.operator))]
VerifiedOrganization = Annotated[Principal, Depends(require_verified_organization)]
VerifiedSupplier = Annotated[Principal, Depends(require_verified(OrgRole.supplier))]
VerifiedBuyer = Annotated[Principal, Depends(require_verified(OrgRole.buyer))]

# The same guards for page routes (the session cookie is accepted too).
PageOperator = Annotated[Principal, Depends(require_role(OrgRole.operator, via=get_page_account))]
PageArbitrator = Annotated[
    Principal, Depends(require_role(OrgRole.arbitrator, via=get_page_account))
]
PageVerifiedSupplier = Annotated[
    Principal, Depends(require_verified(OrgRole.supplier, via=get_page_account))
]
PageVerifiedBuyer = Annotated[
    Principal, Depends(require_verified(OrgRole.buyer, via=get_page_account))
]
