"""Delivery request and response shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from marketplace import limits

HEX64 = r"^[0-9a-fA-F]{64}$"


class LicenceView(BaseModel):
    """A licence as its holder sees it (and as other domains read it)."""

    id: int
    order_id: int
    listing_id: int
    asset_id: int
    revision: int
    buyer_organization_id: int
    supplier_organization_id: int
    purpose: str
    purposes: list[str]
    delivery_mode: Literal["download", "key_wrapped"]
    max_downloads: int | None
    downloads: int
    expires_at: datetime
    granted_at: datetime
    granted_seq: int


class LicencePage(BaseModel):
    """Newest first. Pass ``next_before_id`` as ``before_id`` for the next page (None: done)."""

    items: list[LicenceView]
    limit: int
    before_id: int | None
    next_before_id: int | None


class DeliveryKeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public_key: str = Field(
        pattern=HEX64, description="the raw 32-byte X25519 public key, as 64 hex digits"
    )


class DeliveryKeyView(BaseModel):
    organization_id: int
    public_key: str
    registered_at: datetime
    journal_seq: int


class DownloadUrl(BaseModel):
    """A signed download URL and what it will serve. ``sha256``/``size_bytes`` are of the exact
    bytes served (the ciphertext for ``key_wrapped``), as ``delivery.served`` (``served_seq``)
    records them. For ``key_wrapped``: ``wrapped_key`` (base64, HPKE ``enc || ct``) opens with the
    organisation's X25519 private key under ``hpke_info`` and decrypts the ciphertext."""

    licence_id: int
    order_id: int
    download_id: int
    url: str
    path: str
    expires_at: datetime
    mode: Literal["download", "key_wrapped"]
    sha256: str
    size_bytes: int
    chunk_root: str | None
    served_seq: int
    downloads: int
    max_downloads: int | None
    media_type: str
    file_name: str
    hpke_suite: str | None = None
    hpke_info: str | None = None
    recipient_key: str | None = None
    wrapped_key: str | None = None


class ReceiptBody(BaseModel):
    """The receipt for one served download: custodial accounts send ``served_seq`` and
    ``sha256`` and the exchange signs with their key; self-custody accounts add ``signature``
    over ``GET /licences/{id}/receipt/draft``'s document."""

    model_config = ConfigDict(extra="forbid")

    served_seq: int = Field(ge=1, le=limits.id_max)
    sha256: str = Field(pattern=HEX64)
    signature: str | None = Field(default=None, max_length=200)


class ReceiptView(BaseModel):
    id: int
    licence_id: int
    order_id: int
    download_id: int
    sha256: str
    served_seq: int
    signer: str
    signature: str
    journal_seq: int
    created_at: datetime
    typed_data: dict[str, object]
