"""All SQL for valuations."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlmodel import Session, col, select

from ledger.models import JournalEntry
from marketplace import limits
from marketplace.valuation.methods import Comparable
from marketplace.valuation.models import Valuation


def add(session: Session, valuation: Valuation) -> Valuation:
    session.add(valuation)
    session.flush()
    return valuation


def for_asset(session: Session, asset_id: int) -> Sequence[Valuation]:
    query = (
        select(Valuation)
        .where(Valuation.asset_id == asset_id)
        .order_by(col(Valuation.id).desc())
        .limit(limits.page_size_max)
    )
    return session.exec(query).all()


def get(session: Session, asset_id: int, valuation_id: int) -> Valuation | None:
    valuation = session.get(Valuation, valuation_id)
    return valuation if valuation is not None and valuation.asset_id == asset_id else None


def journal_entry(session: Session, seq: int) -> JournalEntry | None:
    return session.get(JournalEntry, seq)


def market_comparables(
    session: Session, asset_id: int, supplied: Sequence[Comparable]
) -> list[Comparable]:
    """The comparables the valuer supplied, each marked ``source="valuer"`` with weight 1 (a
    request cannot pass its own figures off as this exchange's, nor weigh them as a trade's
    age does). Settled trades and active listings are added by the service
    (``service.market_comparables``), which reads them through the orders and listings
    services."""
    del session, asset_id
    return [
        c
        if c.source == "valuer" and c.weight == 1
        else c.model_copy(update={"source": "valuer", "weight": Decimal(1)})
        for c in supplied
    ]


def by_id(session: Session, valuation_id: int) -> Valuation | None:
    return session.get(Valuation, valuation_id)
