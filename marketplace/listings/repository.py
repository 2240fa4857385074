"""All SQL for listings."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import cast

from sqlalchemy import BigInteger, Table, bindparam, column, func, select, table
from sqlmodel import Session, col

from marketplace.db import kept, loaded
from marketplace.listings.models import Listing, ListingStatus


def add(session: Session, listing: Listing) -> Listing:
    session.add(listing)
    session.flush()
    return listing


def get(session: Session, listing_id: int) -> Listing | None:
    """The listing row, held for the rest of the transaction (a purchase reads it in several
    places; ``db.kept``)."""
    return kept(session, session.get(Listing, listing_id))


def lock(session: Session, listing_id: int) -> Listing | None:
    """The listing row, locked for update (PostgreSQL; SQLite's BEGIN IMMEDIATE already is)."""
    return session.execute(
        select(Listing)
        .where(col(Listing.id) == listing_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)  # fresh, though the session holds it
    ).scalar_one_or_none()


def share_lock(session: Session, listing_id: int) -> Listing | None:
    """The listing row, share-locked until the transaction ends (PostgreSQL ``FOR SHARE``;
    SQLite's BEGIN IMMEDIATE already holds the database) and held (``db.kept``): a purchase
    reads it fresh, and a pause, withdrawal or close waits for the purchase to commit."""
    return loaded(session, Listing, _SHARE_LOCK, {"listing_id": listing_id})


_TABLE = cast(Table, Listing.__table__)  # type: ignore[attr-defined]
_SHARE_LOCK = (
    select(_TABLE).where(_TABLE.c.id == bindparam("listing_id")).with_for_update(read=True)
)


def share_lock_parties(session: Session, listing_id: int, buyer_organization_id: int) -> None:
    """Share-lock the rows of a sale's two organisations, the buyer's and the listing's
    supplier, until the transaction ends (PostgreSQL ``FOR SHARE``; SQLite's BEGIN IMMEDIATE
    already holds the database). One statement, the supplier found through the listing's
    ``supplier_organization_id`` (set when the listing is made, never changed; no listing, and
    only the buyer's row is locked), taken before the listing's own lock: either party's
    suspension (which locks its organisation for update) waits for the sale, or the sale waits
    for it; the caller reads the suspensions afterwards, in a statement of its own, so that a
    sale that waited sees what the suspension committed. The order the two rows are locked in
    does not matter: share locks do not conflict with each other, and whatever locks an
    organisation for update locks only one (docs/architecture.md, "Lock order")."""
    session.execute(
        _SHARE_LOCK_PARTIES,
        {"listing_id": listing_id, "buyer_organization_id": buyer_organization_id},
    ).all()


# The organisation table named as the listing's foreign key names it, by name: the identity
# domain's tables are its own (pyproject.toml's import contracts).
_ORGANIZATION = table("organization", column("id"))
_SHARE_LOCK_PARTIES = (
    select(_ORGANIZATION.c.id)
    .where(
        _ORGANIZATION.c.id.in_(
            [
                bindparam("buyer_organization_id", type_=BigInteger),
                select(_TABLE.c.supplier_organization_id)
                .where(_TABLE.c.id == bindparam("listing_id"))
                .scalar_subquery(),
            ]
        )
    )
    .with_for_update(read=True)
)


def many(session: Session, listing_ids: Sequence[int]) -> dict[int, Listing]:
    if not listing_ids:
        return {}
    rows = session.execute(select(Listing).where(col(Listing.id).in_(list(set(listing_ids)))))
    return {row.id: row for row in rows.scalars() if row.id is not None}


def of_asset(
    session: Session, asset_id: int, statuses: Collection[ListingStatus], limit: int
) -> list[Listing]:
    query = (
        select(Listing)
        .where(col(Listing.asset_id) == asset_id, col(Listing.status).in_(list(statuses)))
        .order_by(col(Listing.id))
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def active_of_organization(session: Session, organization_id: int, limit: int) -> list[Listing]:
    """The organisation's active listings, newest first, at most ``limit``."""
    query = (
        select(Listing)
        .where(
            col(Listing.supplier_organization_id) == organization_id,
            col(Listing.status) == ListingStatus.active,
        )
        .order_by(col(Listing.id).desc())
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def open_with_hash(
    session: Session, asset_id: int, terms_hash: str, statuses: Collection[ListingStatus]
) -> Listing | None:
    query = select(Listing).where(
        col(Listing.asset_id) == asset_id,
        col(Listing.terms_hash) == terms_hash,
        col(Listing.status).in_(list(statuses)),
    )
    return session.execute(query.limit(1)).scalars().first()


def active_priced(
    session: Session, *, exclude_asset_id: int, asset_ids: Sequence[int] | None, limit: int
) -> list[Listing]:
    """Active listings with a headline price, newest first, of other assets (of ``asset_ids``
    when given)."""
    query = select(Listing).where(
        col(Listing.status) == ListingStatus.active.value,
        col(Listing.headline_minor).is_not(None),
        col(Listing.asset_id) != exclude_asset_id,
    )
    if asset_ids is not None:
        query = query.where(col(Listing.asset_id).in_(list(asset_ids)))
    return list(session.execute(query.order_by(col(Listing.id).desc()).limit(limit)).scalars())


def of_organization(
    session: Session, organization_id: int, *, offset: int, limit: int
) -> tuple[list[Listing], int]:
    """The listings an organisation offered, newest first, and how many there are."""
    where = col(Listing.supplier_organization_id) == organization_id
    total = session.execute(select(func.count()).select_from(Listing).where(where)).scalar_one()
    query = select(Listing).where(where).order_by(col(Listing.id).desc())
    rows = list(session.execute(query.offset(offset).limit(limit)).scalars())
    return rows, int(total)
