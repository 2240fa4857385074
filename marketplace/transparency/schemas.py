"""API shapes for the transparency log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class EntryPublic(BaseModel):
    seq: int
    kind: str
    subject: str
    actor: str
    payload: dict[str, Any]
    signature: str | None
    recorded_at: datetime
    prev_hash: str
    entry_hash: str
    batch_id: int | None = None


class EntryPage(BaseModel):
    """Keyset page: pass ``next_after_seq`` as ``after_seq`` for the next page (None: done)."""

    items: list[EntryPublic]
    limit: int
    after_seq: int
    next_after_seq: int | None


class BatchPublic(BaseModel):
    id: int
    first_seq: int
    last_seq: int
    root: str
    status: str
    chain_id: int
    contract: str
    tx_hash: str
    block_number: int | None
    created_at: datetime
    confirmed_at: datetime | None


class BatchPage(BaseModel):
    items: list[BatchPublic]
    limit: int
    after_id: int
    next_after_id: int | None


class ReceiptBatch(BaseModel):
    id: int
    first_seq: int
    last_seq: int


class ReceiptAnchor(BaseModel):
    chain_id: int
    contract: str
    tx_hash: str
    block_number: int


class Receipt(BaseModel):
    """Everything needed to verify one entry with nothing but the chain
    (``bourse verify receipt.json``)."""

    entry: dict[str, Any]
    entry_hash: str
    proof: list[str]
    root: str
    batch: ReceiptBatch
    anchor: ReceiptAnchor


class DeploymentPublic(BaseModel):
    tx_hash: str
    block_number: int


class TrustAnchorPublic(BaseModel):
    """What ``/.well-known/databourse.json`` publishes; saved as a trust file it pins verifiers
    (``bourse ledger trust save``). ``deployment`` is null when the chain cannot tell."""

    version: int
    chain_id: int
    contract: str
    deployment: DeploymentPublic | None
    recorder: str | None
