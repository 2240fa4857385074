"""Who may see what of an asset: the one rule every route, page and report follows.

- **The asset.** The public (anonymous callers and every other organisation, buyers, valuers
  and arbitrators included) sees an asset only while it is ``listed``; the owner organisation
  and operators see it in every status.
- **A revision and everything derived from its content** (size and hashes, Table Schema,
  quality evaluations and reports, valuations) is public only once the revision is registered:
  the asset is visible and the revision's number is at most the asset's certified revision (the
  one the last approved review registered). The owner organisation and operators see every
  revision, before review too.
- Anything a caller may not see is answered exactly as if it did not exist (404), so that not
  even the existence of a draft or an unreviewed revision leaks.

Pure: it decides from the asset's status, owner and certified revision, and the caller's
organisation and roles. The assets service applies it to rows (``visible_asset``,
``visible_revision``, ``list_revisions``); other domains ask through that service. The journal
is public too, so what the quality and valuation services write there is hashes and ids only.
"""

from __future__ import annotations

from typing import Protocol

from marketplace.assets.models import AssetStatus
from marketplace.principal import OrgRole, Principal

#: The statuses in which the public sees an asset (search filters on them in SQL).
PUBLIC_STATUSES = (AssetStatus.listed.value,)


class AssetFacts(Protocol):
    """What the rule reads of an asset (the table row and its public shape both have it)."""

    @property
    def owner_organization_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def latest_revision(self) -> int: ...
    @property
    def certified_revision(self) -> int | None: ...


def is_insider(principal: Principal | None, asset: AssetFacts) -> bool:
    """The owner organisation or an operator: sees the asset in every status, every revision,
    and the sample values in quality reports."""
    return principal is not None and (
        principal.organization.id == asset.owner_organization_id
        or OrgRole.operator.value in principal.roles
    )


def may_see_asset(principal: Principal | None, asset: AssetFacts) -> bool:
    return asset.status in PUBLIC_STATUSES or is_insider(principal, asset)


def may_see_revision(principal: Principal | None, asset: AssetFacts, number: int) -> bool:
    """The revision and its content-derived figures (schema, quality, valuations)."""
    if is_insider(principal, asset):
        return True
    certified = asset.certified_revision
    return may_see_asset(principal, asset) and certified is not None and number <= certified


def newest_visible_revision(principal: Principal | None, asset: AssetFacts) -> int | None:
    """The newest revision the caller may see: the latest for insiders, the registered one for
    everyone else; None when there is none."""
    if is_insider(principal, asset):
        return asset.latest_revision or None
    return asset.certified_revision if may_see_asset(principal, asset) else None


__all__ = [
    "PUBLIC_STATUSES",
    "AssetFacts",
    "is_insider",
    "may_see_asset",
    "may_see_revision",
    "newest_visible_revision",
]
