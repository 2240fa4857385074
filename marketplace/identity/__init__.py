"""Identity: organisations, members and roles, password and SIWE login, bearer tokens,
custodial keys, operator verification, EIP-712 signing. Who is calling (``Principal``) and the
roles (``OrgRole``) live in ``marketplace.principal``, which every domain imports."""

from marketplace.identity.auth import (
    CurrentAccount,
    Operator,
    VerifiedBuyer,
    VerifiedOrganization,
    VerifiedSupplier,
    require_role,
    require_verified,
)

__all__ = [
    "CurrentAccount",
    "Operator",
    "VerifiedBuyer",
    "VerifiedOrganization",
    "VerifiedSupplier",
    "require_role",
    "require_verified",
]
