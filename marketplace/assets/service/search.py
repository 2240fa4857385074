"""Searching the catalogue: what the caller may see, a page at a time."""

from __future__ import annotations

from sqlmodel import Session

from marketplace import limits
from marketplace.assets import repository
from marketplace.assets.models import AssetStatus
from marketplace.assets.schemas import AssetPage
from marketplace.assets.service.access import PUBLIC_STATUSES, is_operator
from marketplace.assets.service.public import asset_public_for
from marketplace.principal import Principal


def search(
    session: Session,
    principal: Principal | None,
    *,
    owner: int | None,
    status: AssetStatus | None,
    theme: str | None,
    keyword: str | None,
    offset: int,
    limit: int,
) -> AssetPage:
    assert 0 < limit <= limits.page_size_max
    operator = is_operator(principal)
    rows, total = repository.search(
        session,
        visible_statuses=None if operator else PUBLIC_STATUSES,
        own_organization_id=principal.organization.id if principal else None,
        owner_organization_id=owner,
        status=status.value if status else None,
        theme=theme,
        keyword=keyword,
        offset=offset,
        limit=limit,
    )
    items = [asset_public_for(principal, a) for a in rows]
    return AssetPage(items=items, total=total, offset=offset, limit=limit)
