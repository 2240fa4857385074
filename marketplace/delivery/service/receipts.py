"""The buyer's signed receipt for a served download (``DeliveryReceipt``, EIP-712): custodial
accounts have the exchange sign with their key, self-custody accounts sign the draft. Stored
once per download and journaled as ``delivery.receipted``; acceptance reads it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc, utc_now
from marketplace.assets.service import SigningContext
from marketplace.delivery import repository
from marketplace.delivery.errors import ReceiptExists, ReceiptMismatch
from marketplace.delivery.models import Download, Licence, Receipt
from marketplace.delivery.receipt import DeliveryReceiptToSign
from marketplace.delivery.schemas import ReceiptBody, ReceiptView
from marketplace.delivery.service.licences import held_licence
from marketplace.identity import service as identity
from marketplace.identity import signing
from marketplace.principal import Principal
from marketplace.settings import Settings

RECEIPTED_KIND = "delivery.receipted"


def _served(session: Session, row: Licence, served_seq: int, sha256: str) -> Download:
    assert row.id is not None
    download = repository.download_by_served_seq(session, row.id, served_seq)
    if download is None:
        raise ReceiptMismatch(
            f"entry {served_seq} is not a delivery.served entry of licence {row.id}"
        )
    if download.sha256 != sha256.lower():
        raise ReceiptMismatch(
            f"entry {served_seq} records sha256 {download.sha256}, not {sha256.lower()}: the "
            "bytes you received are not the bytes served; download again"
        )
    return download


def _document(row: Licence, download: Download) -> DeliveryReceiptToSign:
    assert row.id is not None
    return DeliveryReceiptToSign(
        licence_id=row.id,
        order_id=row.order_id,
        sha256=download.sha256,
        served_seq=download.served_seq,
    )


def receipt_draft(
    session: Session,
    principal: Principal,
    licence_id: int,
    *,
    served_seq: int,
    sha256: str,
    ctx: SigningContext,
) -> dict[str, Any]:
    """The EIP-712 document a self-custody buyer signs (writes nothing)."""
    row = held_licence(session, principal, licence_id)
    download = _served(session, row, served_seq, sha256)
    return signing.wallet_json(_document(row, download).typed_data(ctx.domain))


def _view(receipt: Receipt, document: dict[str, Any]) -> ReceiptView:
    assert receipt.id is not None
    return ReceiptView(
        id=receipt.id,
        licence_id=receipt.licence_id,
        order_id=receipt.order_id,
        download_id=receipt.download_id,
        sha256=receipt.sha256,
        served_seq=receipt.served_seq,
        signer=receipt.signer,
        signature=receipt.signature,
        journal_seq=receipt.journal_seq,
        created_at=as_utc(receipt.created_at),
        typed_data=document,
    )


def sign_receipt(
    session: Session,
    settings: Settings,
    principal: Principal,
    licence_id: int,
    body: ReceiptBody,
    *,
    ctx: SigningContext,
    now: datetime | None = None,
) -> ReceiptView:
    """Store the buyer's receipt for the download ``body.served_seq`` recorded, after checking
    the hash the buyer computed equals the one served (422 otherwise); one per download (409)."""
    now = now or utc_now()
    row = held_licence(session, principal, licence_id)
    download = _served(session, row, body.served_seq, body.sha256)
    typed = _document(row, download).typed_data(ctx.domain)
    signature = identity.signature_of(
        session, settings, principal, typed, signature=body.signature,
        refused=lambda why: ReceiptMismatch(
            f"the signature does not cover this receipt: {why}; sign the document from "
            "GET /licences/{id}/receipt/draft"
        ),
    )  # fmt: skip
    assert row.id is not None
    assert download.id is not None
    receipt = Receipt(
        download_id=download.id,
        licence_id=row.id,
        order_id=row.order_id,
        sha256=download.sha256,
        served_seq=download.served_seq,
        signer=principal.address,
        signature=signature,
        created_at=now,
    )
    if not repository.add_unique(session, receipt):
        raise ReceiptExists(f"the download of entry {download.served_seq} already has a receipt")
    entry = journal.append(
        session,
        kind=RECEIPTED_KIND,
        subject=f"order:{row.order_id}",
        actor=principal.address,
        payload={
            "licence_id": row.id,
            "order_id": row.order_id,
            "download_id": download.id,
            "sha256": download.sha256,
            "served_seq": download.served_seq,
            "chain_id": ctx.chain_id,
            "verifying_contract": ctx.domain["verifyingContract"],
        },
        signature=signature,
    )
    receipt.journal_seq = entry.seq
    session.add(receipt)
    session.flush()
    return _view(receipt, signing.wallet_json(typed))


def receipts_for_order(session: Session, order_id: int) -> list[dict[str, Any]]:
    """The buyer's receipts for an order's downloads (for acceptance): served seq, sha256,
    signer, signature and the receipt's journal seq."""
    return [
        {
            "served_seq": r.served_seq,
            "sha256": r.sha256,
            "signer": r.signer,
            "signature": r.signature,
            "journal_seq": r.journal_seq,
        }
        for r in repository.receipts_for_order(session, order_id)
    ]
