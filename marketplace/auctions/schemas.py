"""API shapes for auctions; requests refuse unknown fields. Amounts are integer minor units,
1 ≤ amount ≤ 2**63-1, and strict (a string or a float is a 422, never coerced)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from marketplace import limits

AmountMinor = Annotated[int, Field(strict=True, ge=1, le=limits.amount_minor_max)]
Hash32Hex = Annotated[
    str,
    Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="32 bytes as 0x and 64 hex digits"),
    AfterValidator(str.lower),
]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("give a time zone (for example 2026-01-01T12:00:00Z)")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class AuctionCreate(BaseModel):
    """A sealed-bid auction of an exclusive listing: bids are committed until
    ``commit_deadline`` and revealed until ``reveal_deadline``."""

    model_config = ConfigDict(extra="forbid")

    listing_id: int = Field(strict=True, ge=1, le=limits.id_max)
    reserve_minor: AmountMinor
    commit_deadline: AwareDatetime
    reveal_deadline: AwareDatetime

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.reveal_deadline <= self.commit_deadline:
            raise ValueError("reveal_deadline must come after commit_deadline")
        return self


class BidCommit(BaseModel):
    """A sealed bid: ``commitment`` = keccak256(abi.encode(uint64 auction_id, address bidder,
    uint256 amount, bytes32 salt)), ``bidder`` being the caller's address; and the purpose the
    licence is bought for, which the listing's terms must permit."""

    model_config = ConfigDict(extra="forbid")

    commitment: Hash32Hex
    purpose: str = Field(min_length=1, max_length=limits.auction_purpose_length_max)


class BidReveal(BaseModel):
    """Opening a sealed bid: the amount and salt it was committed with."""

    model_config = ConfigDict(extra="forbid")

    amount_minor: AmountMinor
    salt: Hash32Hex


class BidPublic(BaseModel):
    """A bid. Its amount and salt are shown once revealed (the reveal's journal entry holds
    them too)."""

    id: int
    auction_id: int
    organization_id: int
    bidder: str
    commitment: str
    purpose: str
    status: str
    commit_seq: int
    committed_at: datetime
    amount_minor: int | None
    salt: str | None
    revealed_at: datetime | None
    reveal_seq: int | None


class ResultBid(BaseModel):
    bid_id: int
    organization_id: int
    bidder: str
    commit_seq: int
    status: str  # revealed | rejected | forfeited
    verdict: str  # vickrey.Verdict
    amount_minor: int | None
    deposit_forfeited_minor: int


class AuctionResult(BaseModel):
    outcome: Literal["sold", "no_sale"]
    winner_bid_id: int | None
    winner_organization_id: int | None
    price_minor: int | None
    bids: list[ResultBid]  # every bid, best valid first, then the others by commit seq
    order_id: int | None
    order_refused: str | None = Field(
        default=None, description="Why no order could be placed for the winner, if none was."
    )
    resolved_seq: int
    resolved_at: datetime


class AuctionPublic(BaseModel):
    """An auction as everyone sees it. ``status`` is its state now (the clock moves it from
    committing to revealing at the commit deadline); ``result`` is set once it is resolved."""

    id: int
    listing_id: int
    supplier_organization_id: int
    status: str
    currency: str
    reserve_minor: int
    deposit_minor: int
    commit_deadline: datetime
    reveal_deadline: datetime
    commitments: int
    opened_seq: int
    created_at: datetime
    resolution_due: bool = Field(
        description="The reveal deadline has passed and the result is not recorded yet."
    )
    cancelled_seq: int | None
    result: AuctionResult | None
    order_id: int | None = Field(
        default=None,
        description="The winner's order: placed at resolution, or later by the winner itself "
        "(the result's order_id records only the former).",
    )


__all__ = [
    "AmountMinor",
    "AuctionCreate",
    "AuctionPublic",
    "AuctionResult",
    "BidCommit",
    "BidPublic",
    "BidReveal",
    "Hash32Hex",
    "ResultBid",
]
