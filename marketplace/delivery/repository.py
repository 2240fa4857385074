"""All SQL for delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from ledger.models import JournalEntry
from marketplace.db import insert_unless_taken, insert_values_unless_taken, kept
from marketplace.delivery.models import DeliveryKey, Download, Licence, MarkedCopy, Receipt


def add(session: Session, row: Licence | DeliveryKey | Download | MarkedCopy | Receipt) -> None:
    session.add(row)
    session.flush()


def add_unique(session: Session, row: Licence | Receipt) -> bool:
    """Insert ``row`` unless a unique index already holds its key (one licence per order, one
    receipt per download): then False, nothing inserted, the caller's transaction usable."""
    return insert_unless_taken(session, row)


_LICENCE = Licence.metadata.tables["licence"]


def add_unique_licence(session: Session, values: dict[str, Any]) -> int | None:
    """``add_unique`` for a licence given as its values by column (one statement, no row
    object): its id, or None when the order already has its licence."""
    return insert_values_unless_taken(session, _LICENCE, values)


def licence(session: Session, licence_id: int) -> Licence | None:
    return session.get(Licence, licence_id)


def lock_licence(session: Session, licence_id: int) -> Licence | None:
    query = (
        select(Licence)
        .where(col(Licence.id) == licence_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)  # fresh, though the session read it
    )
    return session.exec(query).first()


def licence_for_order(session: Session, order_id: int) -> Licence | None:
    return session.exec(select(Licence).where(col(Licence.order_id) == order_id)).first()


def licence_ids_for_asset(session: Session, asset_id: int) -> list[int]:
    query = select(Licence.id).where(col(Licence.asset_id) == asset_id).order_by(col(Licence.id))
    return [int(i) for i in session.exec(query).all() if i is not None]


def licences_of(
    session: Session, organization_id: int, *, before_id: int | None, limit: int
) -> list[Licence]:
    """The organisation's licences, newest first, ids below ``before_id``, at most ``limit``."""
    query = select(Licence).where(col(Licence.buyer_organization_id) == organization_id)
    if before_id is not None:
        query = query.where(col(Licence.id) < before_id)
    return list(session.exec(query.order_by(col(Licence.id).desc()).limit(limit)).all())


def open_licences(
    session: Session,
    organization_id: int,
    asset_id: int,
    revision: int,
    now: datetime,
    *,
    limit: int,
) -> list[Licence]:
    """The organisation's unexpired licences to this revision that the plain content endpoint
    may serve, by their terms: unlimited downloads and plain delivery; at most ``limit``."""
    query = select(Licence).where(
        col(Licence.buyer_organization_id) == organization_id,
        col(Licence.asset_id) == asset_id,
        col(Licence.revision) == revision,
        col(Licence.expires_at) > now,
        col(Licence.max_downloads).is_(None),
        col(Licence.delivery_mode) == "download",
    )
    return list(session.exec(query.order_by(col(Licence.id)).limit(limit)).all())


def marked_copy(session: Session, licence_id: int) -> MarkedCopy | None:
    return session.get(MarkedCopy, licence_id)


def delivery_key(session: Session, organization_id: int) -> DeliveryKey | None:
    return session.get(DeliveryKey, organization_id)


def download(session: Session, download_id: int) -> Download | None:
    return session.get(Download, download_id)


def download_by_served_seq(session: Session, licence_id: int, served_seq: int) -> Download | None:
    query = select(Download).where(
        col(Download.licence_id) == licence_id, col(Download.served_seq) == served_seq
    )
    return session.exec(query).first()


def journal_entry(session: Session, seq: int) -> JournalEntry | None:
    return kept(session, session.get(JournalEntry, seq))  # entries never change: held


def receipts_for_order(session: Session, order_id: int) -> list[Receipt]:
    query = select(Receipt).where(col(Receipt.order_id) == order_id).order_by(col(Receipt.id))
    return list(session.exec(query).all())


def downloads_issued(session: Session, order_id: int, start: datetime, end: datetime) -> int:
    """How many download URLs the order's licence was issued in [``start``, ``end``): each is a
    ``delivery.served`` entry, a download the exchange counted."""
    query = (
        select(func.count())
        .select_from(Download)
        .join(Licence, col(Licence.id) == col(Download.licence_id))
        .where(
            col(Licence.order_id) == order_id,
            col(Download.issued_at) >= start,
            col(Download.issued_at) < end,
        )
    )
    return int(session.exec(query).one())


def served_seqs(session: Session, licence_id: int) -> list[int]:
    """The ``delivery.served`` entries of the licence's downloads, oldest first."""
    query = (
        select(Download.served_seq)
        .where(col(Download.licence_id) == licence_id)
        .order_by(col(Download.served_seq))
    )
    return [int(seq) for seq in session.exec(query).all()]


def marked_copy_blob_keys(session: Session) -> set[str]:
    """The blob of every licence's marked copy (the blob sweeper keeps these)."""
    return {str(key) for key in session.execute(select(MarkedCopy.blob_key)).scalars()}
