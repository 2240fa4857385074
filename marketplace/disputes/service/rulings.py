"""Rulings, appeals and the panel's votes (docs/disputes.md, "Ruling" and "Appeal").

A ruling (round 1) or a vote (round 2) is an EIP-712 ``Ruling`` signed by its arbitrator: the
exchange signs with a custodial account's key, a self-custody arbitrator sends its signature
(with the nonce and deadline it signed), checked against its address. The journal entry
(``ruling.issued``, ``ruling.voted``) carries the signature, the document's digest, the outcome
and the basis points, never an amount."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc
from marketplace import limits
from marketplace.assets.service import SigningContext
from marketplace.disputes import fees, lifecycle, repository
from marketplace.disputes.errors import (
    AlreadyVoted,
    AppealWindowClosed,
    EvidenceOpen,
    InvalidDispute,
    NotAssignedArbitrator,
    NotDisputeParty,
)
from marketplace.disputes.lifecycle import DisputeEvent
from marketplace.disputes.models import ORDER_OUTCOMES, Dispute, Ruling
from marketplace.disputes.schemas import DisputeView, RulingBody, RulingDraft
from marketplace.disputes.service import draw, objections
from marketplace.disputes.service.access import side_of, visible_dispute
from marketplace.disputes.service.opening import hold_fee, reference
from marketplace.disputes.service.views import dispute_view, exchange_address
from marketplace.identity import service as identity
from marketplace.identity import signing
from marketplace.principal import Principal
from marketplace.settings import Settings

PRIMARY_TYPE: Final = "Ruling"
RULING_TYPES: Final = {
    PRIMARY_TYPE: [
        {"name": "disputeId", "type": "uint256"},
        {"name": "orderId", "type": "uint256"},
        {"name": "round", "type": "uint256"},
        {"name": "outcome", "type": "string"},
        {"name": "supplierBp", "type": "uint256"},
        {"name": "reasonsSha256", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}
VOTED_KIND: Final = "ruling.voted"


def ruling_message(
    dispute: Dispute, *, round_: int, outcome: str, supplier_bp: int, reasons: str, nonce: int,
    deadline: int,
) -> dict[str, Any]:  # fmt: skip
    """The EIP-712 ``Ruling`` message an arbitrator signs (docs/disputes.md)."""
    return {
        "disputeId": dispute.id,
        "orderId": dispute.order_id or 0,  # 0: a dispute on an objection
        "round": round_,
        "outcome": outcome,
        "supplierBp": supplier_bp,
        "reasonsSha256": "0x" + hashlib.sha256(reasons.encode()).hexdigest(),
        "nonce": nonce,
        "deadline": deadline,
    }


def ruling_typed_data(domain: Mapping[str, Any], message: Mapping[str, Any]) -> dict[str, Any]:
    return signing.typed_data_in(domain, PRIMARY_TYPE, RULING_TYPES, dict(message))


def _bp(body: RulingBody, dispute: Dispute) -> tuple[str, int]:
    if dispute.objection_id is not None:
        return objections.outcome_bp(body.outcome.value, body.supplier_bp)
    if body.outcome not in ORDER_OUTCOMES:
        raise InvalidDispute("a dispute on an order is ruled release, refund or split")
    try:
        bp = fees.outcome_bp(body.outcome.value, body.supplier_bp)
    except ValueError as exc:
        raise InvalidDispute(str(exc)) from exc
    return fees.outcome_of(bp), bp


def _signed(
    session: Session,
    settings: Settings,
    principal: Principal,
    dispute: Dispute,
    body: RulingBody,
    *,
    round_: int,
    ctx: SigningContext,
    now: datetime,
) -> tuple[Ruling, str]:
    """The arbitrator's signed ruling or vote (not yet journaled), and its EIP-712 digest."""
    outcome, bp = _bp(body, dispute)
    now_s = int(now.timestamp())
    if body.signature is None:
        nonce, deadline = signing.new_nonce(), now_s + limits.signing_offer_ttl_s
    else:
        if body.nonce is None or body.deadline is None:
            raise InvalidDispute("a signed ruling sends the nonce and deadline it signed")
        nonce, deadline = body.nonce, body.deadline
    message = ruling_message(
        dispute, round_=round_, outcome=outcome, supplier_bp=bp, reasons=body.reasons,
        nonce=nonce, deadline=deadline,
    )  # fmt: skip
    typed = ruling_typed_data(ctx.domain, message)
    signature = identity.signature_of(
        session, settings, principal, typed, signature=body.signature,
        refused=lambda why: InvalidDispute(
            f"the signature does not cover this ruling: {why}; sign the EIP-712 Ruling "
            "described in docs/disputes.md"
        ),
    )  # fmt: skip
    identity.consume_signature_nonce(session, principal.address, nonce, deadline, now_s)
    assert dispute.id is not None
    row = Ruling(
        dispute_id=dispute.id,
        round=round_,
        account_id=principal.account_id,
        outcome=outcome,
        supplier_bp=bp,
        reasons=body.reasons,
        document=signing.wallet_json(typed),
        signer=principal.address,
        signature=signature,
        created_at=now,
    )
    return row, signing.digest(typed)


def _journal(
    session: Session, ruling: Ruling, digest: str, kind: str, *, ctx: SigningContext, actor: str
) -> int:
    entry = journal.append(
        session,
        kind=kind,
        subject=reference(ruling.dispute_id),
        actor=actor,
        payload={
            "dispute_id": ruling.dispute_id,
            "round": ruling.round,
            "outcome": ruling.outcome,
            "supplier_bp": ruling.supplier_bp,
            "digest": digest,
            "reasons_sha256": hashlib.sha256(ruling.reasons.encode()).hexdigest(),
            "chain_id": ctx.chain_id,
            "verifying_contract": ctx.domain["verifyingContract"],
        },
        signature=ruling.signature,
    )
    return entry.seq


def _arbitrator_of(session: Session, principal: Principal, dispute_id: int, round_: int) -> Dispute:
    dispute = visible_dispute(session, principal, dispute_id, lock=True)
    if not principal.verified or not repository.assigned_in(
        session, dispute_id, principal.account_id, round_
    ):
        raise NotAssignedArbitrator(
            f"only the arbitrator(s) drawn for round {round_} of dispute {dispute_id} may "
            + ("rule" if round_ == 1 else "vote")
        )
    return dispute


def rule(
    session: Session,
    settings: Settings,
    principal: Principal,
    dispute_id: int,
    body: RulingBody,
    *,
    ctx: SigningContext,
    now: datetime,
) -> DisputeView:
    """The round-1 arbitrator rules, once submissions have closed: ``ruling.issued``; the appeal
    window opens. 404 to anyone who cannot see the dispute (a non-assigned arbitrator), 403 to
    those who can but are not its arbitrator, 409 before ``evidence_closes_at`` or out of
    ``open``, 422 for a split outside 0 to 10,000 bp or an outcome its bp contradicts."""
    dispute = _arbitrator_of(session, principal, dispute_id, 1)
    transition = lifecycle.require(dispute.status, DisputeEvent.rule)
    closes = as_utc(dispute.evidence_closes_at)
    if now < closes:
        raise EvidenceOpen(
            f"submissions close at {closes.isoformat()}; the ruling comes after that"
        )
    ruling, digest = _signed(session, settings, principal, dispute, body, round_=1, ctx=ctx,
                             now=now)  # fmt: skip
    repository.add_ruling(session, ruling)
    ruling.journal_seq = _journal(
        session, ruling, digest, transition.kind, ctx=ctx, actor=principal.address
    )
    lifecycle.apply(dispute, DisputeEvent.rule)
    dispute.outcome, dispute.supplier_bp = ruling.outcome, ruling.supplier_bp
    dispute.appeal_closes_at = now + timedelta(seconds=settings.appeal_window_s)
    dispute.updated_at = now
    session.add_all([ruling, dispute])
    session.flush()
    return dispute_view(session, dispute)


def appeal(
    session: Session,
    settings: Settings,
    principal: Principal,
    dispute_id: int,
    *,
    now: datetime,
) -> DisputeView:
    """Either party appeals the ruling once, within the appeal window (409 after, naming the
    deadline): the appeal fee is held on the appellant, ``dispute.appealed``, and a panel of
    three new arbitrators is drawn (``arbitrator.drawn``, round 2)."""
    dispute = visible_dispute(session, principal, dispute_id, lock=True)
    side = side_of(dispute, principal)
    if side is None or not principal.verified:
        raise NotDisputeParty("only the dispute's buyer or supplier may appeal")
    transition = lifecycle.require(dispute.status, DisputeEvent.appeal)
    assert dispute.appeal_closes_at is not None
    assert dispute.id is not None
    closes = as_utc(dispute.appeal_closes_at)
    if now >= closes:
        raise AppealWindowClosed(
            f"the appeal window of dispute {dispute_id} closed at {closes.isoformat()}"
        )
    dispute.appeal_fee_hold_id = hold_fee(
        session, principal, dispute, amount_minor=settings.appeal_fee_minor, what="fee-appeal",
        now=now,
    )  # fmt: skip
    lifecycle.apply(dispute, DisputeEvent.appeal)
    dispute.round, dispute.appellant_side, dispute.updated_at = 2, side.value, now
    session.add(dispute)
    session.flush()
    journal.append(
        session,
        kind=transition.kind,
        subject=reference(dispute.id),
        actor=principal.address,
        payload={"dispute_id": dispute.id, "appellant_side": side.value, "round": 2},
    )
    draw.assign(session, settings, dispute, round_=2, actor=exchange_address(settings), now=now)
    return dispute_view(session, dispute)


def vote(
    session: Session,
    settings: Settings,
    principal: Principal,
    dispute_id: int,
    body: RulingBody,
    *,
    ctx: SigningContext,
    now: datetime,
) -> DisputeView:
    """A panel member's signed vote (``ruling.voted``), once each. Two identical votes (same
    outcome and bp) decide; three all different: the median bp decides. The decision moves the
    dispute to ``final`` (``ruling.final``), which the execution job executes."""
    dispute = _arbitrator_of(session, principal, dispute_id, 2)
    lifecycle.require(dispute.status, DisputeEvent.decide)
    assert dispute.id is not None
    cast = repository.rulings(session, dispute.id, 2)
    if any(r.account_id == principal.account_id for r in cast):
        raise AlreadyVoted(f"you have voted on dispute {dispute_id} already")
    ruling, digest = _signed(session, settings, principal, dispute, body, round_=2, ctx=ctx,
                             now=now)  # fmt: skip
    repository.add_ruling(session, ruling)
    ruling.journal_seq = _journal(
        session, ruling, digest, VOTED_KIND, ctx=ctx, actor=principal.address
    )
    session.add(ruling)
    votes = [*cast, ruling]
    if dispute.objection_id is None:
        decided = fees.panel_ruling([r.supplier_bp for r in votes])
        outcome = None if decided is None else fees.outcome_of(decided)
        agreeing = [r.supplier_bp for r in votes].count(decided or 0)
    else:  # an objection's outcomes (service/objections.py)
        outcome = objections.panel_outcome([r.outcome for r in votes])
        decided = None if outcome is None else objections.outcome_bp(outcome, None)[1]
        agreeing = [r.outcome for r in votes].count(outcome or "")
    if decided is not None:
        assert outcome is not None
        transition = lifecycle.apply(dispute, DisputeEvent.decide)
        dispute.supplier_bp, dispute.outcome = decided, outcome
        journal.append(
            session,
            kind=transition.kind,
            subject=reference(dispute.id),
            actor=exchange_address(settings),
            payload={
                "dispute_id": dispute.id,
                "round": 2,
                "outcome": dispute.outcome,
                "supplier_bp": decided,
                "rule": "majority" if agreeing >= 2 else "median",
                "votes": [r.journal_seq for r in votes],
            },
        )
    dispute.updated_at = now
    session.add(dispute)
    session.flush()
    return dispute_view(session, dispute)


def draft(
    session: Session,
    principal: Principal,
    dispute_id: int,
    body: RulingBody,
    *,
    ctx: SigningContext,
    now: datetime,
) -> RulingDraft:
    """The ``Ruling`` for the dispute's current round (1, or 2 once appealed), to sign with one's
    own key; the caller must be drawn for that round. Writes nothing."""
    found = visible_dispute(session, principal, dispute_id)
    dispute = _arbitrator_of(session, principal, dispute_id, found.round)
    outcome, bp = _bp(body, dispute)
    nonce, deadline = signing.new_nonce(), int(now.timestamp()) + limits.signing_offer_ttl_s
    message = ruling_message(
        dispute, round_=dispute.round, outcome=outcome, supplier_bp=bp, reasons=body.reasons,
        nonce=nonce, deadline=deadline,
    )  # fmt: skip
    typed = signing.wallet_json(ruling_typed_data(ctx.domain, message))
    return RulingDraft(typed_data=typed, nonce=nonce, deadline=deadline)
