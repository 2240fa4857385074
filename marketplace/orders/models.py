"""Orders: one row per order a buyer placed, with what it signed and the journal entry that
placed it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, String, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from ledger.models import utc_now
from marketplace.db import ID_TYPE
from marketplace.orders.lifecycle import INITIAL, OrderStatus

ADDRESS_HEX_LENGTH = 42
HASH_HEX_LENGTH = 66  # 0x + 32 bytes
UINT256_DECIMAL_LENGTH = 78


class Order(SQLModel, table=True):
    """An order. ``exclusive_listing_id`` is the listing's id while the order holds an exclusive
    listing (``lifecycle.HOLDS_EXCLUSIVE``) and NULL otherwise; it is unique, so the database
    itself lets one order at a time hold an exclusive listing, whichever process places it.
    ``(source, source_id)`` is unique too: a quote or an auction result becomes one order."""

    __tablename__ = "purchase_order"  # ORDER is an SQL keyword
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_purchase_order_source"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    listing_id: int = Field(sa_type=BigInteger, foreign_key="listing.id", index=True)
    asset_id: int = Field(sa_type=BigInteger, foreign_key="asset.id", index=True)
    buyer_organization_id: int = Field(
        sa_type=BigInteger, foreign_key="organization.id", index=True
    )
    supplier_organization_id: int = Field(
        sa_type=BigInteger, foreign_key="organization.id", index=True
    )
    placed_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    purpose: str = Field(sa_type=Text)
    quantity: int = Field(sa_type=BigInteger)
    price_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=8)
    source: str = Field(sa_type=Text)  # listing | quote | auction
    source_id: int | None = Field(default=None, sa_type=BigInteger)
    terms_hash: str = Field(sa_type=String(HASH_HEX_LENGTH))
    status: str = Field(default=INITIAL.value, sa_type=Text, index=True)
    buyer_signer: str = Field(sa_type=String(ADDRESS_HEX_LENGTH))
    buyer_signature: str = Field(sa_type=String(200))
    buyer_nonce: str = Field(sa_type=String(UINT256_DECIMAL_LENGTH))
    buyer_deadline: int = Field(sa_type=BigInteger)
    chain_id: int = Field(sa_type=BigInteger)  # the EIP-712 domain the buyer signed under
    verifying_contract: str = Field(sa_type=String(ADDRESS_HEX_LENGTH))
    exclusive_listing_id: int | None = Field(default=None, sa_type=BigInteger, unique=True)
    placed_seq: int = Field(default=0, sa_type=BigInteger)
    # The order's terms' acceptance window (hours after delivery), fixed at placement.
    acceptance_window_h: int | None = Field(default=None, sa_type=BigInteger)
    # The order's terms' dispute window (hours after settlement of the order, or of each of its
    # periods), fixed at placement; NULL on an order placed before it was stored, which the
    # exchange-wide ``dispute_window_s`` governs (docs/disputes.md, "The dispute window").
    dispute_window_h: int | None = Field(default=None, sa_type=BigInteger)
    # Settlement (docs/orders.md#payment-and-settlement): fixed when the order is paid.
    hold_id: int | None = Field(default=None, sa_type=BigInteger)
    fee_bp: int | None = Field(default=None, sa_type=BigInteger)
    fee_minor: int | None = Field(default=None, sa_type=BigInteger)
    needs_approval: bool = Field(
        default=False, sa_type=Boolean, sa_column_kwargs={"server_default": false()}
    )
    paid_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    accept_by: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), index=True)
    settled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))

    @property
    def order_status(self) -> OrderStatus:
        return OrderStatus(self.status)


SHA256_HEX_LENGTH = 64


class QualityCheck(SQLModel, table=True):
    """A buyer's signed re-check (EIP-712 ``QualityCheck``) of the file it received against the
    anchored quality report of the revision it bought: the file's content hash, the report's hash
    and journal seq, the verdict and the hash of the per-dimension differences, and the
    comparison itself (shown to the order's parties; the journal holds only the hashes)."""

    __tablename__ = "order_quality_check"
    __table_args__ = (
        UniqueConstraint(
            "order_id",
            "file_sha256",
            "report_hash",
            "differences_hash",
            name="uq_order_quality_check",
        ),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    order_id: int = Field(sa_type=BigInteger, foreign_key="purchase_order.id", index=True)
    file_sha256: str = Field(sa_type=String(SHA256_HEX_LENGTH))
    report_hash: str = Field(sa_type=String(HASH_HEX_LENGTH))
    report_seq: int = Field(sa_type=BigInteger)
    verdict: str = Field(sa_type=Text)
    differences_hash: str = Field(sa_type=String(HASH_HEX_LENGTH))
    comparison: dict[str, Any] = Field(sa_type=JSON)
    signer: str = Field(sa_type=String(ADDRESS_HEX_LENGTH))
    signature: str = Field(sa_type=String(200))
    journal_seq: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
