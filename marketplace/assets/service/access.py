"""Who may see and change an asset, applied to rows: ``visibility`` decides (listed assets and
registered revisions are public; the owner organisation and operators see everything; anything
invisible is a 404); acting on a visible asset one does not own is a 403."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from marketplace.assets import repository, visibility
from marketplace.assets.errors import AssetNotFound, NotAssetOwner, RevisionNotFound
from marketplace.assets.models import Asset, AssetRevision
from marketplace.principal import OrgRole, Principal

PUBLIC_STATUSES = visibility.PUBLIC_STATUSES

#: Extra rules that let a caller download a revision's content (orders plug buyers in here).
ContentAccessRule = Callable[[Session, Principal, Asset, AssetRevision], bool]

content_access_rules: list[ContentAccessRule] = []


def is_owner(principal: Principal | None, asset: Asset) -> bool:
    return principal is not None and principal.organization.id == asset.owner_organization_id


def is_operator(principal: Principal | None) -> bool:
    return principal is not None and OrgRole.operator.value in principal.roles


def visible_asset(session: Session, principal: Principal | None, asset_id: int) -> Asset:
    found = repository.asset(session, asset_id)
    if found is None or not visibility.may_see_asset(principal, found):
        raise AssetNotFound(f"no asset {asset_id} that you may see")
    return found


def visible_revision(
    session: Session, principal: Principal | None, asset_id: int, number: int
) -> tuple[Asset, AssetRevision]:
    """The asset and one revision the caller may see, with everything derived from its content;
    a revision not yet registered is, to the public, a 404 worded as for one that does not
    exist."""
    asset = visible_asset(session, principal, asset_id)
    revision = repository.revision(session, asset_id, number)
    if revision is None or not visibility.may_see_revision(principal, asset, number):
        raise RevisionNotFound(f"asset {asset_id} has no revision {number} that you may see")
    return asset, revision


def owned_asset(session: Session, principal: Principal, asset_id: int) -> Asset:
    """The caller's own asset, locked for the change; 404 when invisible, 403 when not owned."""
    visible_asset(session, principal, asset_id)
    found = repository.lock_asset(session, asset_id)
    if found is None:  # a draft deleted while this request waited for its lock
        raise AssetNotFound(f"no asset {asset_id} that you may see")
    if not is_owner(principal, found):
        raise NotAssetOwner(f"asset {asset_id} belongs to another organisation")
    return found


def may_download(
    session: Session, principal: Principal, asset: Asset, revision: AssetRevision
) -> bool:
    if is_owner(principal, asset):
        return True
    return any(rule(session, principal, asset, revision) for rule in content_access_rules)
