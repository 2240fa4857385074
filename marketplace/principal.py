"""Who is calling, and the checks every domain makes on it.

A ``Principal`` is what identity's authentication hands to routes and services: the account
behind the bearer token, its organisation and the organisation's roles. The checks here are pure
(no I/O), and this module imports no domain, so every domain may import it. Identity's
``auth.py`` turns them into FastAPI dependencies (``Operator``, ``VerifiedSupplier``, ...).

The account and organisation are described by what the checks and callers read of them
(``PrincipalAccount``, ``PrincipalOrganization``); at run time they are identity's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from marketplace.errors import Forbidden


class OrgRole(StrEnum):
    """What an organisation does on the exchange. One organisation may hold several."""

    supplier = "supplier"
    buyer = "buyer"
    arbitrator = "arbitrator"
    valuer = "valuer"
    operator = "operator"


class RoleRequired(Forbidden):
    code = "role_required"


class NotVerified(Forbidden):
    code = "not_verified"


class PrincipalAccount(Protocol):
    """The calling account, as the checks and other domains read it."""

    @property
    def id(self) -> int | None: ...

    @property
    def organization_id(self) -> int: ...

    @property
    def membership_role(self) -> str: ...

    @property
    def email(self) -> str | None: ...

    @property
    def address(self) -> str: ...

    @property
    def custodial(self) -> bool: ...


class PrincipalOrganization(Protocol):
    """The calling account's organisation, as the checks and other domains read it."""

    @property
    def id(self) -> int | None: ...

    @property
    def name(self) -> str: ...

    @property
    def verified_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class Principal:
    """Who is calling: the account behind the bearer token, its organisation and roles."""

    account: PrincipalAccount
    organization: PrincipalOrganization
    roles: frozenset[str]
    token_id: int

    @property
    def account_id(self) -> int:
        assert self.account.id is not None
        return self.account.id

    @property
    def verified(self) -> bool:
        return self.organization.verified_at is not None

    @property
    def address(self) -> str:
        return self.account.address


def _role_list(roles: frozenset[str]) -> str:
    return ", ".join(sorted(roles)) or "none"


def check_role(principal: Principal, wanted: frozenset[str]) -> None:
    """Raises RoleRequired unless the organisation holds one of ``wanted``."""
    assert wanted, "check_role needs at least one role"
    if not wanted & principal.roles:
        raise RoleRequired(
            f"this needs the {' or '.join(sorted(wanted))} role; your organisation holds: "
            f"{_role_list(principal.roles)}"
        )


def check_verified(principal: Principal, role: OrgRole | str) -> None:
    """Raises unless the organisation may act in ``role`` on the market: it holds the role
    (RoleRequired) and an operator has verified it (NotVerified)."""
    wanted = OrgRole(role).value
    if wanted not in principal.roles:
        raise RoleRequired(
            f"this needs the {wanted} role; your organisation holds: {_role_list(principal.roles)}"
        )
    if not principal.verified:
        raise NotVerified(
            "organisation not verified: an operator must verify it (real-name check) "
            f"before it may act as {wanted}"
        )


def check_verified_organization(principal: Principal) -> None:
    """Raises NotVerified unless an operator has verified the organisation, whatever its
    roles."""
    if not principal.verified:
        raise NotVerified(
            "organisation not verified: an operator must verify it (real-name check) first"
        )
