"""FastAPI dependencies for who is calling, as ``Annotated`` aliases.

``CurrentAccount`` checks the bearer token on every request; ``OptionalAccount`` checks it when
one is sent. ``require_role(...)`` and ``require_verified(...)`` build guards on top of
``CurrentAccount``; the aliases below are what routes use, so a permission check is one
parameter, never code copied into a route. The guards are ``async`` (they only compare what
``CurrentAccount`` read) so that FastAPI does not hop to a worker thread to run them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledger.models import utc_now
from marketplace import limits
from marketplace.deps import RuntimeDep, SessionDep
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


def get_current_account(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
) -> Principal:
    return service.authenticate(session, runtime.settings, bearer_token(request), utc_now())


CurrentAccount = Annotated[Principal, Depends(get_current_account)]


def get_optional_account(
    request: Request, session: SessionDep, runtime: RuntimeDep
) -> Principal | None:
    """The caller when a bearer token is sent (checked like ``CurrentAccount``); None for the
    public. For routes anyone may read that show more to the owner."""
    if request.headers.get("authorization") is None:
        return None
    return service.authenticate(session, runtime.settings, bearer_token(request), utc_now())


OptionalAccount = Annotated[Principal | None, Depends(get_optional_account)]


def require_role(*roles: OrgRole | str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through an organisation holding any of ``roles``."""
    wanted = frozenset(OrgRole(r).value for r in roles)
    assert wanted, "require_role needs at least one role"

    async def guard(principal: CurrentAccount) -> Principal:
        check_role(principal, wanted)
        return principal

    return guard


def require_verified(role: OrgRole | str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency for acting in ``role`` on the market (listing needs a verified supplier,
    buying a verified buyer)."""
    wanted = OrgRole(role)

    async def guard(principal: CurrentAccount) -> Principal:
        check_verified(principal, wanted)
        return principal

    return guard


async def require_verified_organization(principal: CurrentAccount) -> Principal:
    """A dependency for acts any organisation may do once verified, whatever its roles (filing
    an objection)."""
    check_verified_organization(principal)
    return principal


Operator = Annotated[Principal, Depends(require_role(OrgRole.operator))]
VerifiedOrganization = Annotated[Principal, Depends(require_verified_organization)]
VerifiedSupplier = Annotated[Principal, Depends(require_verified(OrgRole.supplier))]
VerifiedBuyer = Annotated[Principal, Depends(require_verified(OrgRole.buyer))]
