"""The buyer's re-check of the file it received (docs/quality.md#re-check): the comparison of
``bourse quality check FILE`` with the anchored quality report of the revision bought, signed
(EIP-712 ``QualityCheck``) by the buyer: with its custodial key here, or by a self-custody buyer
over the draft. Stored with the order and journaled as ``order.quality_checked`` (hashes, not
contents); acceptance cites the latest one, disputes read them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc, utc_now
from marketplace.assets.service import SigningContext
from marketplace.identity import service as identity
from marketplace.identity import signing
from marketplace.listings import service as listings
from marketplace.orders import repository
from marketplace.orders.errors import (
    OrderStateConflict,
    QualityCheckExists,
    QualityCheckMismatch,
)
from marketplace.orders.lifecycle import OrderStatus
from marketplace.orders.models import Order, QualityCheck
from marketplace.orders.quality_check import QualityCheckToSign, Verdict
from marketplace.orders.schemas import QualityCheckBody, QualityCheckView
from marketplace.orders.service._common import buyers_order
from marketplace.principal import Principal
from marketplace.quality import Comparison
from marketplace.quality import service as quality_service
from marketplace.settings import Settings

CHECKED_KIND = "order.quality_checked"
#: An order whose file was served: the buyer may check what it received.
_CHECKABLE = frozenset({OrderStatus.delivered, OrderStatus.accepted, OrderStatus.settled})


def _document(session: Session, order: Order, comparison: Comparison) -> QualityCheckToSign:
    """The check to sign, after making sure it fits the order: delivered, and compared with the
    anchored quality report of the revision bought (409 / 422 otherwise)."""
    assert order.id is not None
    if order.order_status not in _CHECKABLE:
        raise OrderStateConflict(
            f"order {order.id} is {order.status}: a quality check follows the download"
        )
    revision = listings.public(session, order.listing_id).revision
    anchored = quality_service.anchored_report(
        session, order.asset_id, comparison.anchored_report_hash
    )
    if anchored is None or anchored[0] != revision:
        raise QualityCheckMismatch(
            f"report {comparison.anchored_report_hash} is not an anchored quality report of "
            f"asset {order.asset_id} revision {revision}, the revision bought: check against "
            f"that revision's report (bourse quality check FILE --asset {order.asset_id} "
            f"--order {order.id})"
        )
    return QualityCheckToSign(
        order_id=order.id,
        file_sha256=comparison.received_content_sha256,
        report_hash=comparison.anchored_report_hash,
        report_seq=anchored[1],
        verdict="matches" if comparison.verdict() == "matches" else "differs",
        differences_hash=comparison.differences_hash(),
    )


def quality_check_draft(
    session: Session,
    principal: Principal,
    order_id: int,
    comparison: Comparison,
    *,
    ctx: SigningContext,
) -> dict[str, Any]:
    """The EIP-712 document a self-custody buyer signs (writes nothing)."""
    order = buyers_order(session, principal, order_id, "check")
    return signing.wallet_json(_document(session, order, comparison).typed_data(ctx.domain))


def _view(check: QualityCheck, document: dict[str, Any]) -> QualityCheckView:
    assert check.id is not None
    return QualityCheckView(
        id=check.id,
        order_id=check.order_id,
        file_sha256=check.file_sha256,
        report_hash=check.report_hash,
        report_seq=check.report_seq,
        verdict=check.verdict,
        differences_hash=check.differences_hash,
        comparison=check.comparison,
        signer=check.signer,
        signature=check.signature,
        journal_seq=check.journal_seq,
        created_at=as_utc(check.created_at),
        typed_data=document,
    )


def add_quality_check(
    session: Session,
    settings: Settings,
    principal: Principal,
    order_id: int,
    body: QualityCheckBody,
    *,
    ctx: SigningContext,
    now: datetime | None = None,
) -> QualityCheckView:
    """Sign (custodial) or check the signature of (self-custody) the buyer's quality check, store
    it with the order and journal ``order.quality_checked`` with its hashes. The buyer's
    organisation only (the supplier 403, anyone else 404); the same check once (409)."""
    order = buyers_order(session, principal, order_id, "check")
    assert order.id is not None
    document = _document(session, order, body.comparison)
    typed = document.typed_data(ctx.domain)
    signature = identity.signature_of(
        session, settings, principal, typed, signature=body.signature,
        refused=lambda why: QualityCheckMismatch(
            f"the signature does not cover this check: {why}; sign the document from "
            f"POST /orders/{order.id}/quality-checks/draft"
        ),
    )  # fmt: skip
    check = QualityCheck(
        order_id=order.id,
        file_sha256=document.file_sha256,
        report_hash=document.report_hash,
        report_seq=document.report_seq,
        verdict=document.verdict,
        differences_hash=document.differences_hash,
        comparison=body.comparison.model_dump(mode="json"),
        signer=principal.address,
        signature=signature,
        created_at=now or utc_now(),
    )
    if repository.add_quality_check(session, check) is None:
        raise QualityCheckExists(
            f"order {order.id} already has this check (file {document.file_sha256}, report "
            f"{document.report_hash}, differences {document.differences_hash})"
        )
    entry = journal.append(
        session,
        kind=CHECKED_KIND,
        subject=f"order:{order.id}",
        actor=principal.address,
        payload={
            "order_id": order.id,
            "check_id": check.id,
            "file_sha256": document.file_sha256,
            "report_hash": document.report_hash,
            "report_seq": document.report_seq,
            "verdict": document.verdict,
            "differences_hash": document.differences_hash,
            "chain_id": ctx.chain_id,
            "verifying_contract": ctx.domain["verifyingContract"],
        },
        signature=signature,
    )
    check.journal_seq = entry.seq
    session.add(check)
    session.flush()
    return _view(check, signing.wallet_json(typed))


def quality_checks_of(session: Session, order: Order) -> list[QualityCheckView]:
    """The order's quality checks, oldest first, with the documents signed (rebuilt from the
    journal entries' domains)."""
    views = []
    for check in repository.quality_checks(session, order.id or 0):
        entry = repository.journal_entry(session, check.journal_seq)
        assert entry is not None
        payload = json.loads(entry.payload_json)
        verdict: Verdict = "matches" if check.verdict == "matches" else "differs"
        document = QualityCheckToSign(
            order_id=check.order_id,
            file_sha256=check.file_sha256,
            report_hash=check.report_hash,
            report_seq=check.report_seq,
            verdict=verdict,
            differences_hash=check.differences_hash,
        )
        domain = signing.domain(int(payload["chain_id"]), str(payload["verifying_contract"]))
        views.append(_view(check, signing.wallet_json(document.typed_data(domain))))
    return views


def latest_check_seq(session: Session, order_id: int) -> int | None:
    """The journal seq of the order's latest quality check, if any (acceptance cites it)."""
    checks = repository.quality_checks(session, order_id)
    return checks[-1].journal_seq if checks else None


def quality_check_seqs(session: Session, order_id: int) -> list[int]:
    """The journal seqs of the order's ``order.quality_checked`` entries, oldest first (a
    dispute attaches them; the caller decides who may see them)."""
    return [check.journal_seq for check in repository.quality_checks(session, order_id)]


def order_quality_checks(session: Session, order_id: int) -> list[QualityCheckView]:
    """The quality checks of order ``order_id`` for another domain, which decides who may see
    them (a dispute's arbitrators: the dossier)."""
    order = repository.get(session, order_id)
    return [] if order is None else quality_checks_of(session, order)
