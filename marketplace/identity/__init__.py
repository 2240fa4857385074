"""Identity: organisations, members and roles, password and SIWE login, bearer tokens,
custodial keys, operator verification, EIP-712 signing."""

from marketplace.identity.auth import (
    CurrentAccount,
    Operator,
    VerifiedBuyer,
    VerifiedOrganization,
    VerifiedSupplier,
    require_role,
    require_verified,
)
from marketplace.identity.models import MembershipRole, OrgRole
from marketplace.identity.service import Principal

__all__ = [
    "CurrentAccount",
    "MembershipRole",
    "Operator",
    "OrgRole",
    "Principal",
    "VerifiedBuyer",
    "VerifiedOrganization",
    "VerifiedSupplier",
    "require_role",
    "require_verified",
]
