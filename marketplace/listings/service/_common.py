"""What the listing service modules share: the asset facts a listing reads, the public shape of
a listing, and its journal entries."""

from __future__ import annotations

from typing import Any, Protocol

from sqlmodel import Session

from ledger import journal
from ledger.models import JournalEntry, as_utc
from marketplace.listings import price_models, terms
from marketplace.listings.models import Listing, ListingStatus
from marketplace.listings.schemas import ListingPublic, Unavailable
from marketplace.money import Currency

LISTED = "listed"
APPROVED = "approved"
SUSPENDED = "suspended"


class AssetRow(Protocol):
    """What a listing reads of its asset (the assets service's row)."""

    @property
    def id(self) -> int | None: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def owner_organization_id(self) -> int: ...
    @property
    def open_objections(self) -> int: ...
    @property
    def certified_revision(self) -> int | None: ...
    @property
    def classification(self) -> str: ...
    @property
    def theme(self) -> str | None: ...


def subject(listing_id: int) -> str:
    return f"listing:{listing_id}"


def journal_listing(
    session: Session,
    kind: str,
    listing: Listing,
    actor: str,
    signature: str | None = None,
    **payload: Any,
) -> JournalEntry:
    assert listing.id is not None
    return journal.append(
        session,
        kind=kind,
        subject=subject(listing.id),
        actor=actor,
        payload={"listing_id": listing.id, "asset_id": listing.asset_id, **payload},
        signature=signature,
    )


def under_objection(asset: AssetRow) -> bool:
    return asset.open_objections > 0 or asset.status == SUSPENDED


def unavailable_reason(
    listing: Listing, asset: AssetRow, *, supplier_suspended: bool
) -> Unavailable | None:
    """Why a buyer may not buy it now, or None when it may: it is active, its asset listed, by
    the organisation that signed it (a transferred asset's old listings are not the new owner's
    offer), and an operator has not suspended that organisation."""
    if listing.status != ListingStatus.active:
        return Unavailable(f"listing_{listing.status}")
    if asset.status == SUSPENDED:
        return Unavailable.asset_suspended
    if asset.status != LISTED:
        return Unavailable.asset_not_listed
    if asset.owner_organization_id != listing.supplier_organization_id:
        return Unavailable.asset_changed_hands
    if supplier_suspended:
        return Unavailable.supplier_suspended
    return None


def to_public(listing: Listing, asset: AssetRow, *, supplier_suspended: bool) -> ListingPublic:
    """The listing as everyone sees it; ``supplier_suspended``: whether an operator has
    suspended its supplier (``identity.is_suspended``, or ``suspended_among`` for a page)."""
    assert listing.id is not None
    why = unavailable_reason(listing, asset, supplier_suspended=supplier_suspended)
    model = price_models.parse(listing.price_model)
    policy = terms.Terms.model_validate(listing.terms)
    currency = Currency(listing.currency, listing.currency_scale)
    return ListingPublic(
        id=listing.id,
        asset_id=listing.asset_id,
        # The title is the asset's public metadata only while the asset is listed.
        asset_title=asset.title if asset.status == LISTED else None,
        revision=listing.revision_id,
        supplier_organization_id=listing.supplier_organization_id,
        status=ListingStatus(listing.status),
        price_plain=price_models.describe(model, currency),
        terms_plain=terms.plain_words(policy, model.kind),
        headline_minor=listing.headline_minor,
        currency=listing.currency,
        price_model=model,
        terms=policy,
        exclusive=listing.exclusive,
        fingerprint=listing.fingerprint,
        under_objection=under_objection(asset),
        available=why is None,
        unavailable_reason=why,
        signer=listing.signer,
        signature=listing.signature,
        terms_hash=listing.terms_hash,
        nonce=listing.nonce,
        deadline=listing.deadline,
        offer=listing.offer,
        created_at=as_utc(listing.created_at),
        updated_at=as_utc(listing.updated_at),
        journal_seq=listing.journal_seq,
    )
