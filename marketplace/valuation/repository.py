"""All SQL for valuations."""

from __future__ import annotations

from collections.abc import Sequence

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
    """The comparables this repository gives the market approach for asset ``asset_id``: the
    seam through which settled trades will reach it.

    Today these are the comparables the valuer supplied, each marked ``source="valuer"`` (a
    request cannot pass its own figures off as this exchange's). When orders settle (the orders
    issue), this is where this exchange's settled trades of similar assets (same theme, similar
    size and rights) are read and added with ``source="exchange"``; until then none are, and none
    are invented. Active listings are added by the service (``service.market_comparables``), which
    reads them through the listings service.
    """
    del session, asset_id  # read by the settled-trades query, once there are settled trades
    return [
        c if c.source == "valuer" else c.model_copy(update={"source": "valuer"}) for c in supplied
    ]


def by_id(session: Session, valuation_id: int) -> Valuation | None:
    return session.get(Valuation, valuation_id)
