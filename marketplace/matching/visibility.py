"""Who may see what of a demand: the one rule every route and the CLI follow (pure).

- The buyer organisation that posted a demand sees it in every state, with who posted it, and
  its ranked matches.
- Operators see every demand.
- A verified supplier sees the demands that are open (deadline ahead), so that it can answer
  them with a quote; it does not see which organisation asks (the exchange stands between them
  until an order is placed), nor the matches (other suppliers' listings ranked for the buyer).
- Anyone else (the public, an unverified organisation, another buyer) sees no demand: it is
  answered 404, as if it did not exist.
"""

from __future__ import annotations

from marketplace.matching.demand_lifecycle import DemandStatus
from marketplace.principal import OrgRole, Principal


def is_owner(principal: Principal | None, buyer_organization_id: int) -> bool:
    return principal is not None and principal.organization.id == buyer_organization_id


def is_operator(principal: Principal | None) -> bool:
    return principal is not None and OrgRole.operator.value in principal.roles


def is_verified_supplier(principal: Principal | None) -> bool:
    return (
        principal is not None and OrgRole.supplier.value in principal.roles and principal.verified
    )


def may_see(principal: Principal | None, buyer_organization_id: int, status: DemandStatus) -> bool:
    """Whether the caller may see a demand in ``status`` (the status a reader sees)."""
    if is_owner(principal, buyer_organization_id) or is_operator(principal):
        return True
    return status == DemandStatus.open and is_verified_supplier(principal)


def sees_buyer(principal: Principal | None, buyer_organization_id: int) -> bool:
    return is_owner(principal, buyer_organization_id) or is_operator(principal)


__all__ = ["is_operator", "is_owner", "is_verified_supplier", "may_see", "sees_buyer"]
