"""``/``: what the exchange is, a search box, how much it holds and how far its journal is
anchored, and where to go next."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from marketplace.assets import service as asset_service
from marketplace.transparency import service as transparency_service
from marketplace.transparency.schemas import BatchPublic

WELL_KNOWN = "/.well-known/databourse.json"


@dataclass(frozen=True)
class HomeView:
    listed: int
    entries: int
    last_seq: int | None
    batch: BatchPublic | None
    chain_id: int | None  # the anchoring batch's chain, else the connected chain's


def listed_count(session: Session) -> int:
    return asset_service.search(
        session, None, owner=None, status=None, theme=None, keyword=None, offset=0, limit=1
    ).total


def home_view(session: Session, *, chain_id: int | None) -> HomeView:
    ledger = transparency_service.summary(session)
    batch = ledger.last_anchored_batch
    return HomeView(
        listed=listed_count(session),
        entries=ledger.entries,
        last_seq=ledger.last_anchored_seq,
        batch=batch,
        chain_id=chain_id if batch is None else batch.chain_id,
    )
