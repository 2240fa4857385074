"""API shapes for quotes; requests refuse unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from marketplace import limits
from marketplace.assets.schemas import SignatureHex
from marketplace.listings.terms import Terms
from marketplace.quotes.models import QuoteStatus


class QuoteFields(BaseModel):
    """What a supplier offers in answer to a demand: one of its active listings, a price in
    minor units, optionally terms narrower than the listing's (the listing's when absent), and
    the moment the quote stops being valid."""

    model_config = ConfigDict(extra="forbid")

    listing_id: int = Field(strict=True, ge=1, le=limits.id_max)
    price_minor: int = Field(strict=True, ge=1, le=limits.amount_minor_max)
    terms: Terms | None = None
    valid_until: AwareDatetime


class QuoteCreate(QuoteFields):
    """A quote to send. Self-custody suppliers sign the offer (the typed data from
    ``POST /demands/{id}/quotes/draft``) and send the signature with its nonce and deadline;
    custodial suppliers send none and the exchange signs with their key."""

    signature: SignatureHex | None = None
    nonce: int | None = Field(default=None, ge=0, lt=2**256)
    deadline: int | None = Field(default=None, ge=0, le=limits.id_max)

    @model_validator(mode="after")
    def _all_or_none(self) -> Self:
        given = [v is not None for v in (self.signature, self.nonce, self.deadline)]
        if any(given) and not all(given):
            raise ValueError("send signature, nonce and deadline together")
        return self


class QuoteDraft(BaseModel):
    """The offer to sign (EIP-712 typed data, as wallets take it), with its nonce and deadline:
    send the signature, ``nonce`` and ``deadline`` back with the same fields to
    ``POST /demands/{id}/quotes``."""

    offer: dict[str, Any]
    terms_hash: str
    nonce: str  # uint256 as a decimal string (JSON numbers lose precision beyond 2**53)
    deadline: int
    typed_data: dict[str, Any]


class QuotePublic(BaseModel):
    """A quote as its supplier and the demand's owner see it: price, terms in plain words and
    status first, then what was signed."""

    id: int
    demand_id: int
    listing_id: int
    asset_id: int
    supplier_organization_id: int
    buyer_organization_id: int | None = Field(
        description="The demand's owner: shown to it, and to the supplier once the quote is "
        "accepted (null before: suppliers answer a demand without learning who asks)"
    )
    status: QuoteStatus
    price_minor: int
    currency: str
    terms: Terms
    terms_plain: list[str]
    valid_until: datetime
    order_id: int | None
    decided_at: datetime | None
    signer: str
    signature: str
    terms_hash: str
    nonce: str
    deadline: int
    offer: dict[str, Any] = Field(
        description="The signed offer's fields: with the exchange's EIP-712 domain (any "
        "listing's ``offer.domain``) its digest is the ``offer_digest`` of the public "
        "``quote.offered`` entry at ``offer_seq``."
    )
    offer_seq: int
    decision_seq: int | None
    created_at: datetime


class QuotePage(BaseModel):
    items: list[QuotePublic]
    total: int
    offset: int
    limit: int


__all__ = ["QuoteCreate", "QuoteDraft", "QuoteFields", "QuotePage", "QuotePublic"]
