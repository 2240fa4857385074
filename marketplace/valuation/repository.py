"""All SQL for valuations."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from marketplace import limits
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
