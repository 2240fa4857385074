"""Settled trades as other domains read them: the valuation's market approach compares an asset
with them (docs/valuation.md#settled-trades), and a listing page draws their prices over time
(docs/pages.md#price-history-of-comparable-trades). A trade's price is known only to its two
parties and the operators, so both readers are scoped to one organisation's own trades."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from ledger.models import as_utc
from marketplace.orders import repository
from marketplace.orders.service.views import OrderView, order_view


@dataclass(frozen=True)
class SettledTrade:
    """A settled order: what was traded (``order``, with the signed terms and the revision
    bought), its source (listing, quote or auction) and when it settled."""

    order: OrderView
    source: str
    settled_at: datetime


def settled_trades_of(
    session: Session,
    organization_id: int,
    *,
    asset_ids: Collection[int] | None,
    since: datetime,
    limit: int,
) -> list[SettledTrade]:
    """Up to ``limit`` orders organisation ``organization_id`` bought or supplied that settled
    at or after ``since``, of ``asset_ids`` (any asset when None), most recently settled
    first. Cancelled, expired, refunded and not yet settled orders are never trades."""
    rows = repository.settled_involving(
        session, organization_id, asset_ids=asset_ids, since=since, limit=limit
    )
    trades = []
    for row in rows:
        assert row.settled_at is not None
        trades.append(SettledTrade(order_view(session, row), row.source, as_utc(row.settled_at)))
    return trades


@dataclass(frozen=True)
class SettledPrice:
    """A settled order's price and when it settled: what a price history draws, without the
    signed terms and listing that ``SettledTrade`` reads for each order."""

    order_id: int
    listing_id: int
    asset_id: int
    price_minor: int
    quantity: int
    source: str
    settled_at: datetime


def settled_prices_of(
    session: Session,
    organization_id: int,
    *,
    asset_ids: Collection[int] | None,
    since: datetime,
    limit: int,
) -> list[SettledPrice]:
    """The orders ``settled_trades_of`` reads, as their prices only (one query)."""
    rows = repository.settled_involving(
        session, organization_id, asset_ids=asset_ids, since=since, limit=limit
    )
    prices = []
    for row in rows:
        assert row.id is not None
        assert row.settled_at is not None
        prices.append(
            SettledPrice(
                order_id=row.id,
                listing_id=row.listing_id,
                asset_id=row.asset_id,
                price_minor=row.price_minor,
                quantity=row.quantity,
                source=row.source,
                settled_at=as_utc(row.settled_at),
            )
        )
    return prices
