"""Reading quotes: one quote, or a demand's quotes a page at a time, as the caller may see
them, with expiry applied first."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from marketplace.matching.errors import DemandNotFound
from marketplace.principal import Principal
from marketplace.quotes import repository
from marketplace.quotes.schemas import QuotePage, QuotePublic
from marketplace.quotes.service import peers
from marketplace.quotes.service.expiry import expire_lapsed
from marketplace.quotes.service.views import quote_public, visible


def get(session: Session, principal: Principal, quote_id: int, *, now: datetime) -> QuotePublic:
    """One quote (its supplier and the demand's owner; 404 for anyone else)."""
    quote = visible(session, principal, quote_id)
    expire_lapsed(session, [quote], now)
    return quote_public(quote, principal)


def for_demand(
    session: Session,
    principal: Principal,
    demand_id: int,
    *,
    offset: int,
    limit: int,
    now: datetime,
) -> QuotePage:
    """The demand's quotes, newest first: all of them for its owner, a supplier's own for a
    supplier (none for anyone else). A supplier still sees its quotes once the demand is no
    longer open (and hidden from it); a demand the caller may not see and holds no quote of is
    a 404."""
    demand = peers.demand_seen(session, principal, demand_id, now)
    org = principal.organization.id
    owner = demand is not None and demand.owner_organization_id == org
    rows, total = repository.page_of_demand(
        session, demand_id, supplier_organization_id=None if owner else org, offset=offset,
        limit=limit,
    )  # fmt: skip
    if demand is None and total == 0:
        raise DemandNotFound(f"no demand {demand_id} that you may see")
    expire_lapsed(session, rows, now)
    return QuotePage(
        items=[quote_public(q, principal) for q in rows], total=total, offset=offset, limit=limit
    )
