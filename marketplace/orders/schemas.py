"""API shapes for orders. Requests refuse unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from marketplace import limits
from marketplace.assets.schemas import SignatureHex
from marketplace.listings.terms import Purpose
from marketplace.quality import Comparison


class OrderCreate(BaseModel):
    """An order for a listing, at the price its price model gives for ``quantity`` (one licence,
    one period, or a number of rows or API calls, as the model counts). A custodial buyer sends
    no signature (the exchange signs with its key); a self-custody buyer first gets the order to
    sign from ``POST /orders/draft`` and sends back its ``signature``, ``nonce`` and
    ``deadline``."""

    model_config = ConfigDict(extra="forbid")

    listing_id: int = Field(strict=True, ge=1, le=limits.id_max)
    purpose: Purpose
    quantity: int | None = Field(default=None, strict=True, ge=1, le=limits.order_quantity_max)
    signature: SignatureHex | None = None
    nonce: int | None = Field(default=None, strict=True, ge=0, lt=2**256)
    deadline: int | None = Field(default=None, strict=True, ge=0, le=limits.id_max)

    @model_validator(mode="after")
    def _signed_together(self) -> Self:
        given = [v is not None for v in (self.signature, self.nonce, self.deadline)]
        if any(given) and not all(given):
            raise ValueError("send signature, nonce and deadline together")
        return self


class OrderSignature(BaseModel):
    """A self-custody buyer's signature over the order its draft handed out, with the draft's
    nonce and deadline (accepting a quote, placing an auction winner's order)."""

    model_config = ConfigDict(extra="forbid")

    signature: SignatureHex
    nonce: int = Field(strict=True, ge=0, lt=2**256)
    deadline: int = Field(strict=True, ge=0, le=limits.id_max)


class BuyerSignature(BaseModel):
    """The buyer's EIP-712 signature over the order, with its nonce and deadline."""

    signer: str
    signature: str
    nonce: str  # uint256, decimal
    deadline: int


class OrderPublic(BaseModel):
    id: int
    listing_id: int
    asset_id: int
    buyer_organization_id: int
    supplier_organization_id: int
    purpose: str
    quantity: int
    price_minor: int
    currency: str
    source: str = Field(description="listing, quote or auction: what set the price.")
    source_id: int | None = Field(description="The quote's or auction's id (None: listing).")
    status: str
    terms_hash: str
    buyer_signature: BuyerSignature
    placed_seq: int = Field(description="The journal seq of the order's ``order.placed`` entry.")
    created_at: datetime
    updated_at: datetime
    needs_approval: bool = Field(
        default=False,
        description="Important data: an operator must approve the order before delivery.",
    )
    fee_minor: int | None = Field(
        default=None, description="The exchange fee, fixed when the order is paid."
    )
    hold_id: int | None = Field(
        default=None, description="The escrow hold (journal subject ``hold:{id}``) once paid."
    )
    paid_at: datetime | None = None
    delivered_at: datetime | None = None
    accept_by: datetime | None = Field(
        default=None,
        description="When the acceptance window ends: the order is then accepted and settled.",
    )
    settled_at: datetime | None = None
    dispute_window_h: int | None = Field(
        default=None,
        description="The dispute window its terms signed, in hours after settlement (null: an "
        "order placed before orders kept it, which the exchange's dispute window governs).",
    )
    dispute_closes_at: datetime | None = Field(
        default=None,
        description="A settled order (not a subscription's or metered one's: each period has "
        "its own): until when it may be disputed, settled_at plus its dispute window; a dispute "
        "at or after it is refused (409 dispute_window_closed). Null before settlement, when a "
        "dispute freezes the escrow hold instead.",
    )
    currency_scale: int | None = Field(
        default=None,
        description="Minor units per unit as a power of ten (CNY: 2); amounts in words use it.",
    )
    signed_order: dict[str, Any] = Field(
        description="The EIP-712 document the buyer signed (eth_signTypedData_v4 form)."
    )
    quality_checks: list[QualityCheckView] = Field(
        default_factory=list,
        description="The buyer's signed re-checks of the file received, oldest first.",
    )


class OrderDraft(BaseModel):
    """An order ready to sign (writes nothing): sign ``typed_data`` and send the same body to
    ``POST /orders`` with ``signature``, ``nonce`` and ``deadline`` (for a quote or an auction,
    those three to the quote's accept or the auction's order endpoint)."""

    listing_id: int
    purpose: str
    quantity: int
    price_minor: int
    currency: str
    source: str = "listing"
    source_id: int | None = None
    terms_hash: str
    nonce: str  # uint256, decimal
    deadline: int
    typed_data: dict[str, Any]


class OrderPage(BaseModel):
    """Newest first. Pass ``next_before_id`` as ``before_id`` for the next page (None: done)."""

    items: list[OrderPublic]
    limit: int
    before_id: int | None
    next_before_id: int | None


class PublicDataRevenue(BaseModel):
    """A public-data listing's revenue against its ceiling (cost plus a reasonable margin)."""

    listing_id: int
    currency: str
    cost_minor: int
    margin_bp: int
    ceiling_minor: int
    price_minor: int = Field(description="The price the listing charges per licence.")
    within_ceiling: bool
    orders: int = Field(description="Orders counted (see ``basis``).")
    quantity: int = Field(description="Licences they bought.")
    revenue_minor: int = Field(description="What those orders charged, in total.")
    ceiling_revenue_minor: int = Field(
        description="What the same quantity would have charged at the ceiling."
    )
    basis: str = Field(description="Which orders are counted, in words.")


class OrderDecision(BaseModel):
    """An operator's decision on an important asset's order, with its reason (journaled)."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=limits.approval_reason_length_max
        ),
    ]


class QualityCheckDraft(BaseModel):
    """A buyer's re-check of the file received: ``bourse quality check FILE --asset ID``'s
    comparison with the anchored report, as JSON."""

    model_config = ConfigDict(extra="forbid")

    comparison: Comparison


class QualityCheckBody(QualityCheckDraft):
    """The re-check to attach to the order. Custodial accounts send the comparison and the
    exchange signs with their key; self-custody accounts add ``signature`` over
    ``POST /orders/{id}/quality-checks/draft``'s document."""

    signature: SignatureHex | None = None


class QualityCheckView(BaseModel):
    id: int
    order_id: int
    file_sha256: str = Field(description="SHA-256 of the content the buyer received.")
    report_hash: str = Field(description="The anchored quality report compared with.")
    report_seq: int = Field(description="The journal entry that anchored that report.")
    verdict: str = Field(description="matches | differs")
    differences_hash: str = Field(description="keccak256 of the per-dimension differences.")
    comparison: dict[str, Any]
    signer: str
    signature: str
    journal_seq: int = Field(description="The order.quality_checked entry.")
    created_at: datetime
    typed_data: dict[str, Any] = Field(description="The EIP-712 QualityCheck signed.")


class PeriodPublic(BaseModel):
    """One period of a subscription or metered order (docs/orders.md: subscriptions and
    metered usage)."""

    number: int
    status: str = Field(description="due, held, settled, refused, waived, refunded or cancelled.")
    starts_at: datetime
    ends_at: datetime
    charge_at: datetime = Field(description="When the period is charged.")
    renewal: bool = Field(description="A period renewed past those bought.")
    units: int = Field(description="Metered: the rows or API calls recorded in the period.")
    amount_minor: int = Field(description="What the period charges (metered: capped).")
    fee_minor: int
    hold_id: int | None = None
    charged_seq: int | None = None
    closed_seq: int | None = None
    settled_at: datetime | None = Field(
        default=None,
        description="When the period was paid to the supplier: it may be disputed for the "
        "dispute window from then.",
    )
    dispute_closes_at: datetime | None = Field(
        default=None,
        description="A settled period: until when it may be disputed, settled_at plus the "
        "order's dispute window (409 dispute_window_closed at or after it). Null for a period "
        "not settled.",
    )


class UsageReport(BaseModel):
    """The supplier reports rows or API calls it served under a metered order."""

    model_config = ConfigDict(extra="forbid")

    units: int = Field(strict=True, ge=1, le=limits.amount_minor_max)


class RenewalChoice(BaseModel):
    """The buyer opts in to (or out of) renewing a subscription past the periods bought."""

    model_config = ConfigDict(extra="forbid")

    auto_renew: bool = Field(strict=True)
