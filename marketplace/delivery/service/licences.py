"""Licences: granting one when an order is paid, reading them (their holder only), the access
check every download passes, and the content-access rule that lets a holder read its revision.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc, utc_now
from marketplace import limits
from marketplace.assets import service as assets
from marketplace.delivery import repository
from marketplace.delivery.errors import (
    DownloadLimitReached,
    LicenceExists,
    LicenceExpired,
    LicenceNotFound,
    PurposeNotRecorded,
)
from marketplace.delivery.models import Licence
from marketplace.delivery.schemas import LicencePage, LicenceView
from marketplace.delivery.service import seams
from marketplace.listings import service as listings
from marketplace.listings.schemas import ListingPublic
from marketplace.listings.terms import Terms
from marketplace.principal import Principal

GRANTED_KIND = "licence.granted"
IMPORTANT = "important"  # the classification always delivered key-wrapped


class PaidOrder(Protocol):
    """What a licence is granted from: the order as the orders domain shows it."""

    @property
    def id(self) -> int: ...
    @property
    def listing_id(self) -> int: ...
    @property
    def asset_id(self) -> int: ...
    @property
    def buyer_organization_id(self) -> int: ...
    @property
    def supplier_organization_id(self) -> int: ...
    @property
    def purpose(self) -> str: ...
    @property
    def placed_seq(self) -> int: ...


class _RevisionFacts(Protocol):
    @property
    def asset_id(self) -> int: ...
    @property
    def number(self) -> int: ...
    @property
    def media_type(self) -> str: ...


def licence_view(row: Licence) -> LicenceView:
    assert row.id is not None
    return LicenceView(
        id=row.id,
        order_id=row.order_id,
        listing_id=row.listing_id,
        asset_id=row.asset_id,
        revision=row.revision,
        buyer_organization_id=row.buyer_organization_id,
        supplier_organization_id=row.supplier_organization_id,
        purpose=row.purpose,
        purposes=list(row.purposes),
        delivery_mode="key_wrapped" if row.delivery_mode == "key_wrapped" else "download",
        max_downloads=row.max_downloads,
        downloads=row.downloads,
        expires_at=as_utc(row.expires_at),
        granted_at=as_utc(row.granted_at),
        granted_seq=row.granted_seq,
    )


def _order_terms(session: Session, order: PaidOrder, listing: ListingPublic) -> tuple[Terms, str]:
    """The terms the order was bought under (an accepted quote's narrower terms, kept in
    ``order.placed``, else the listing's) and the buyer's address (that entry's actor)."""
    placed = repository.journal_entry(session, order.placed_seq) if order.placed_seq else None
    payload = json.loads(placed.payload_json) if placed is not None else {}
    terms = Terms.model_validate(payload["terms"]) if "terms" in payload else listing.terms
    actor = placed.actor if placed is not None else listing.signer
    return terms, actor


def _revision_paid_for(session: Session, asset_id: int, listed: int) -> tuple[int, bool]:
    """The asset's current registered revision (the one the buyer pays for) and whether the
    asset is classified important."""
    found = assets.assets_by_ids(session, [asset_id]).get(asset_id)
    assert found is not None, "an order's asset exists"
    important = str(found.classification) == IMPORTANT
    return found.certified_revision or listed, important


def grant_licence(
    session: Session,
    order: PaidOrder,
    *,
    now: datetime | None = None,
    listing: ListingPublic | None = None,
) -> LicenceView:
    """The licence a paid order grants (call it in the pay transaction): the order's terms
    (purposes, duration → ``expires_at``, maximum downloads, delivery mode, always key-wrapped
    for an important asset), the buyer organisation and the asset's current revision. One per
    order (409 ``licence_exists`` for a second). Journals ``licence.granted``. ``listing``: the
    order's listing as this transaction already read it (``listings.public``), if it did."""
    now = now or utc_now()
    if listing is None:
        listing = listings.public(session, order.listing_id)
    assert listing.id == order.listing_id
    terms, buyer = _order_terms(session, order, listing)
    revision, important = _revision_paid_for(session, order.asset_id, listing.revision)
    mode = "key_wrapped" if important else terms.delivery_mode
    granted_seq = journal.next_seq(session)  # written with its entry's seq
    expires_at = now + timedelta(days=terms.licence_duration_days)
    purposes = [p.value for p in terms.purposes]
    licence_id = repository.add_unique_licence(
        session,
        {
            "order_id": order.id,
            "listing_id": order.listing_id,
            "asset_id": order.asset_id,
            "revision": revision,
            "buyer_organization_id": order.buyer_organization_id,
            "supplier_organization_id": order.supplier_organization_id,
            "purpose": order.purpose,
            "purposes": purposes,
            "terms": terms.model_dump(mode="json"),
            "delivery_mode": mode,
            "max_downloads": terms.max_downloads,
            "downloads": 0,
            "expires_at": expires_at,
            "granted_at": now,
            "granted_seq": granted_seq,
        },
    )  # one statement, no row object
    if licence_id is None:
        raise LicenceExists(f"order {order.id} already has its licence")
    entry = journal.append_entry(
        session,
        kind=GRANTED_KIND,
        subject=f"order:{order.id}",
        actor=buyer,
        payload={
            "licence_id": licence_id,
            "order_id": order.id,
            "listing_id": order.listing_id,
            "asset_id": order.asset_id,
            "revision": revision,
            "buyer_organization_id": order.buyer_organization_id,
            "purpose": order.purpose,
            "purposes": purposes,
            "delivery_mode": mode,
            "max_downloads": terms.max_downloads,
            "expires_at": int(expires_at.timestamp()),
        },
    )
    assert entry.seq == granted_seq
    return LicenceView(
        id=licence_id,
        order_id=order.id,
        listing_id=order.listing_id,
        asset_id=order.asset_id,
        revision=revision,
        buyer_organization_id=order.buyer_organization_id,
        supplier_organization_id=order.supplier_organization_id,
        purpose=order.purpose,
        purposes=purposes,
        delivery_mode="key_wrapped" if mode == "key_wrapped" else "download",
        max_downloads=terms.max_downloads,
        downloads=0,
        expires_at=as_utc(expires_at),
        granted_at=as_utc(now),
        granted_seq=granted_seq,
    )


def licence_ids_for_asset(session: Session, asset_id: int) -> list[int]:
    """Every licence granted on the asset, oldest first (fingerprint detection tries each)."""
    return repository.licence_ids_for_asset(session, asset_id)


def licence_by_id(session: Session, licence_id: int) -> LicenceView | None:
    """A licence, for other domains (no access check: the caller makes it)."""
    row = repository.licence(session, licence_id)
    return None if row is None else licence_view(row)


def licence_for_order(session: Session, order_id: int) -> LicenceView | None:
    row = repository.licence_for_order(session, order_id)
    return None if row is None else licence_view(row)


def held_licence(
    session: Session, principal: Principal, licence_id: int, *, lock: bool = False
) -> Licence:
    """The licence if the caller's organisation holds it; 404 otherwise (worded alike)."""
    row = (repository.lock_licence if lock else repository.licence)(session, licence_id)
    if row is None or row.buyer_organization_id != principal.organization.id:
        raise LicenceNotFound(f"no licence {licence_id} that your organisation holds")
    return row


def get_licence(session: Session, principal: Principal, licence_id: int) -> LicenceView:
    return licence_view(held_licence(session, principal, licence_id))


def my_licences(
    session: Session, principal: Principal, *, before_id: int | None, limit: int
) -> LicencePage:
    """The caller's organisation's licences, newest first, one page."""
    assert 1 <= limit <= limits.page_size_max
    org = principal.organization.id
    assert org is not None
    rows = repository.licences_of(session, org, before_id=before_id, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return LicencePage(
        items=[licence_view(r) for r in rows],
        limit=limit,
        before_id=before_id,
        next_before_id=rows[-1].id if more else None,
    )


def check_access(row: Licence, now: datetime) -> None:
    """The check every download passes: the recorded purpose is one the terms permit, the
    licence has not expired and its downloads are below the maximum."""
    if row.purpose not in row.purposes:
        raise PurposeNotRecorded(
            f"licence {row.id} records purpose {row.purpose!r}, which its terms do not permit"
        )
    if as_utc(row.expires_at) <= now:
        raise LicenceExpired(
            f"licence {row.id} expired at {as_utc(row.expires_at).isoformat()}; buy again to "
            "download"
        )
    if row.max_downloads is not None and row.downloads >= row.max_downloads:
        raise DownloadLimitReached(
            f"licence {row.id} allows {row.max_downloads} download(s) and all have been used"
        )


def holder_may_read(
    session: Session, principal: Principal, asset: object, revision: _RevisionFacts
) -> bool:
    """The content-access rule (``assets.service.content_access_rules``): a licence holder may
    read the licensed revision's content straight from the asset when its licence is unexpired,
    unlimited and plain, and its downloads serve the stored bytes as they are; limited or
    key-wrapped licences, and those whose downloads are transformed (a fingerprint), download
    only through signed URLs, so each download is counted, proven and marked."""
    org = principal.organization.id
    if org is None:
        return False
    rows = repository.open_licences(
        session, org, revision.asset_id, revision.number, utc_now(), limit=limits.page_size_max
    )
    return any(
        seams.transform_for(session, licence_view(row), revision.media_type) is seams.identity
        for row in rows
    )
