"""API shapes for listings; requests refuse unknown fields."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from marketplace import limits
from marketplace.assets.schemas import AssetPublic, SignatureHex
from marketplace.assets.vocabulary import check_frequency
from marketplace.listings.models import ListingStatus
from marketplace.listings.price_models import PriceModel
from marketplace.listings.terms import Purpose, Terms
from marketplace.search import SearchQuery

# How a fingerprinted listing says so, wherever it is shown.
FINGERPRINT_NOTE = (
    "Each copy delivered carries an invisible mark naming its licence (per-buyer fingerprint)."
)


class ListingOffer(BaseModel):
    """What a supplier offers: the asset, the terms and the price model."""

    model_config = ConfigDict(extra="forbid")

    asset_id: int = Field(strict=True, ge=1, le=limits.id_max)
    terms: Terms
    price_model: PriceModel


class ListingCreate(ListingOffer):
    """A new listing. Self-custody suppliers sign the offer (the typed data from
    ``POST /listings/draft``) and send the signature with its nonce and deadline; custodial
    suppliers send none and the exchange signs with their key."""

    signature: SignatureHex | None = None
    nonce: int | None = Field(default=None, ge=0, lt=2**256)
    # Mark each licensed copy for its licence (docs/fingerprints.md): a delivery option of the
    # exchange, not a term, so it is not part of the signed offer. CSV revisions only.
    fingerprint: bool = Field(default=False, strict=True)
    deadline: int | None = Field(default=None, ge=0, le=limits.id_max)

    @model_validator(mode="after")
    def _all_or_none(self) -> Self:
        given = [v is not None for v in (self.signature, self.nonce, self.deadline)]
        if any(given) and not all(given):
            raise ValueError("send signature, nonce and deadline together")
        return self


class ListingDraft(BaseModel):
    """The offer to sign (EIP-712 typed data, as wallets take it), with its nonce and deadline:
    send the signature, ``nonce`` and ``deadline`` back with the same offer to
    ``POST /listings``."""

    terms_hash: str
    nonce: str  # uint256 as a decimal string (JSON numbers lose precision beyond 2**53)
    deadline: int
    typed_data: dict[str, Any]


class Unavailable(StrEnum):
    """Why a listing cannot be bought now (``ListingPublic.unavailable_reason``), in the order
    the purchase checks them: the listing's own state, its asset's, then its supplier's."""

    listing_paused = "listing_paused"  # the supplier may resume it
    listing_withdrawn = "listing_withdrawn"  # for good
    listing_closed = "listing_closed"  # its exclusive licence was sold
    asset_suspended = "asset_suspended"  # by the exchange, over an objection
    asset_not_listed = "asset_not_listed"  # delisted, or back under review
    asset_changed_hands = "asset_changed_hands"  # its new owner has not offered these terms
    supplier_suspended = "supplier_suspended"  # by the exchange's operators, until reinstated


class ListingPublic(BaseModel):
    """A listing as everyone sees it: price and terms first, in plain words, then what was
    signed."""

    id: int
    asset_id: int
    asset_title: str | None  # the asset's title while it is listed (public metadata)
    revision: int
    supplier_organization_id: int
    status: ListingStatus
    price_plain: str
    terms_plain: list[str]
    headline_minor: int | None
    currency: str
    price_model: PriceModel
    terms: Terms
    exclusive: bool
    fingerprint: bool  # each copy delivered carries a mark naming its licence
    under_objection: bool  # the asset has an open objection or is suspended
    available: bool  # it may be bought now: ``unavailable_reason`` is None
    unavailable_reason: Unavailable | None  # why it may not, when it may not
    signer: str
    signature: str
    terms_hash: str
    nonce: str
    deadline: int
    offer: dict[str, Any]  # the EIP-712 typed data the signer signed
    created_at: datetime
    updated_at: datetime
    journal_seq: int


class ListingPage(BaseModel):
    """A page of catalog search results, in the order asked; ``next_cursor`` asks for the next
    page (None on the last)."""

    items: list[ListingPublic]
    next_cursor: str | None


class AssetWithListings(AssetPublic):
    """An asset with its active listings: what each costs and allows, before anything else."""

    listings: list[ListingPublic]


class ListingSearch(SearchQuery):
    """``GET /listings``'s query: words, filters, order and page (see ``SearchQuery``), with the
    purpose and update frequency checked against their vocabularies."""

    purpose: Purpose | None = None

    _frequency = field_validator("update_frequency")(check_frequency)


__all__ = [
    "FINGERPRINT_NOTE",
    "AssetWithListings",
    "ListingCreate",
    "ListingDraft",
    "ListingOffer",
    "ListingPage",
    "ListingPublic",
    "ListingSearch",
]
