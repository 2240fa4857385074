"""Delivery rows: licences (one per paid order), the buyer organisations' delivery keys, each
issued download (a signed URL and what it serves), the marked copy of a fingerprinted licence
and the buyers' signed receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from ledger.models import utc_now
from marketplace.db import ID_TYPE

SHA256_HEX_LENGTH = 64
ADDRESS_HEX_LENGTH = 42
X25519_HEX_LENGTH = 64  # a raw X25519 public key is 32 bytes


class Licence(SQLModel, table=True):
    """What a paid order grants: the terms it was bought under (purposes, expiry, downloads,
    delivery mode), the buyer organisation and the revision paid for. One per order."""

    __tablename__ = "licence"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    order_id: int = Field(sa_type=BigInteger, foreign_key="purchase_order.id", unique=True)
    listing_id: int = Field(sa_type=BigInteger, foreign_key="listing.id", index=True)
    asset_id: int = Field(sa_type=BigInteger, foreign_key="asset.id", index=True)
    revision: int = Field(sa_type=BigInteger)
    buyer_organization_id: int = Field(
        sa_type=BigInteger, foreign_key="organization.id", index=True
    )
    supplier_organization_id: int = Field(sa_type=BigInteger, foreign_key="organization.id")
    purpose: str = Field(sa_type=Text)  # the purpose the buyer declared in its order
    purposes: list[str] = Field(sa_type=JSON)  # the purposes the terms permit
    terms: dict[str, Any] = Field(sa_type=JSON)  # the terms the order was bought under
    delivery_mode: str = Field(sa_type=Text)  # download | key_wrapped
    max_downloads: int | None = Field(default=None, sa_type=BigInteger)
    downloads: int = Field(default=0, sa_type=BigInteger)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    granted_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    granted_seq: int = Field(default=0, sa_type=BigInteger)


class DeliveryKey(SQLModel, table=True):
    """An organisation's X25519 public key, to which key-wrapped deliveries are wrapped."""

    __tablename__ = "delivery_key"

    organization_id: int = Field(
        sa_type=BigInteger, foreign_key="organization.id", primary_key=True
    )
    public_key: str = Field(sa_type=String(X25519_HEX_LENGTH))
    registered_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    registered_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    journal_seq: int = Field(default=0, sa_type=BigInteger)


class Download(SQLModel, table=True):
    """One issued download URL: what it serves (the SHA-256 and size of the exact bytes), until
    when, and the ``delivery.served`` entry that recorded it. Issuing one counts a download."""

    __tablename__ = "delivery_download"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    licence_id: int = Field(sa_type=BigInteger, foreign_key="licence.id", index=True)
    mode: str = Field(sa_type=Text)  # download | key_wrapped
    sha256: str = Field(sa_type=String(SHA256_HEX_LENGTH))
    size_bytes: int = Field(sa_type=BigInteger)
    chunk_root: str | None = Field(default=None, sa_type=String(SHA256_HEX_LENGTH))
    nonce: str = Field(sa_type=String(32))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    recipient_key: str | None = Field(default=None, sa_type=String(X25519_HEX_LENGTH))
    wrapped_key: bytes | None = Field(default=None, sa_type=LargeBinary)
    issued_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    issued_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    served_seq: int = Field(default=0, sa_type=BigInteger)


class MarkedCopy(SQLModel, table=True):
    """The bytes a transformed (fingerprinted) licence serves, made once when its first URL is
    issued and kept encrypted in the blob store under a data key of its own (wrapped by the
    master key, bound to the blob key, as a revision's is): every URL of the licence serves
    it. Kept as delivered evidence: the SHA-256 and chunk root its ``delivery.served`` entries
    name."""

    __tablename__ = "delivery_marked_copy"

    licence_id: int = Field(sa_type=BigInteger, foreign_key="licence.id", primary_key=True)
    blob_key: str = Field(sa_type=String(SHA256_HEX_LENGTH))
    wrapped_key: bytes = Field(sa_type=LargeBinary)
    sha256: str = Field(sa_type=String(SHA256_HEX_LENGTH))
    size_bytes: int = Field(sa_type=BigInteger)
    chunk_root: str = Field(sa_type=String(SHA256_HEX_LENGTH))
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class Receipt(SQLModel, table=True):
    """A buyer's EIP-712 ``DeliveryReceipt`` over one served download; one per download."""

    __tablename__ = "delivery_receipt"

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    download_id: int = Field(sa_type=BigInteger, foreign_key="delivery_download.id", unique=True)
    licence_id: int = Field(sa_type=BigInteger, foreign_key="licence.id", index=True)
    order_id: int = Field(sa_type=BigInteger)
    sha256: str = Field(sa_type=String(SHA256_HEX_LENGTH))
    served_seq: int = Field(sa_type=BigInteger)
    signer: str = Field(sa_type=String(ADDRESS_HEX_LENGTH))
    signature: str = Field(sa_type=String(200))
    journal_seq: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
