"""Settled trades as other domains read them: the valuation's market approach compares an asset
with them (docs/valuation.md#settled-trades). A trade's price is known only to its two parties
and the operators, so the only reader is scoped to one organisation's own trades."""

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
