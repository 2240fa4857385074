"""Reading quotes: one quote, or a demand's quotes a page at a time, as the caller may see
them, with expiry applied first."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

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
    return quote_public(quote)


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
    supplier (none for anyone else)."""
    demand = peers.demand(session, principal, demand_id, now)
    org = principal.organization.id
    only = None if demand.owner_organization_id == org else org
    rows, total = repository.page_of_demand(
        session, demand_id, supplier_organization_id=only, offset=offset, limit=limit
    )
    expire_lapsed(session, rows, now)
    return QuotePage(
        items=[quote_public(q) for q in rows], total=total, offset=offset, limit=limit
    )
