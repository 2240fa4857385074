"""Disputes on ownership objections (docs/disputes.md, "Ownership objections").

Either side of an open objection (a verified member of the objecting organisation or of the
asset's owner) escalates it to arbitration: the same dispute row, evidence, draw, ruling, appeal
and execution job as an order's, with three differences.

- **Parties.** The objector stands on the ``buyer`` side (the claimant), the owner on the
  ``supplier`` side: the dispute's ``buyer_organization_id`` is the objector's, its
  ``supplier_organization_id`` the owner's, so access, evidence, fees and the draw's conflicts
  read them unchanged.
- **No escrow.** Nothing is frozen (``hold_id`` is null, ``amount_minor`` 0, the currency the
  exchange's): only the arbitration fees are held.
- **Rulings** are ``transfer`` (the asset to the objector's organisation), ``cancel`` (the
  registration cancelled) or ``dismiss``. Each carries the ``supplier_bp`` the fee rule reads:
  10,000 for a dismissal (the owner won), 0 for a transfer or a cancellation (the objector won);
  there is no split. A panel decides by two equal outcomes; three different ones give the
  median of dismiss < cancel < transfer, the cancellation.

Execution (``execute``, called by the execution job for a dispute with an ``objection_id``)
settles the fee holds as for an order, applies the ruling through
``assets.service.arbitration.execute_ruling`` and writes ``ruling.executed``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, Final

from sqlmodel import Session

from ledger import journal
from marketplace.assets.service import SigningContext
from marketplace.assets.service import arbitration as registry
from marketplace.books import service as books
from marketplace.disputes import evidence_repository, fees, lifecycle, repository
from marketplace.disputes.errors import DisputeExists, InvalidDispute, NotDisputeParty
from marketplace.disputes.lifecycle import OPENED_KIND, DisputeEvent
from marketplace.disputes.models import OBJECTION_OUTCOMES, Dispute, Evidence, Outcome, Side
from marketplace.disputes.schemas import DisputeView
from marketplace.disputes.service import draw, records
from marketplace.disputes.service.opening import hold_fee, reference
from marketplace.disputes.service.views import dispute_view, exchange_address
from marketplace.principal import Principal
from marketplace.settings import Settings

#: The supplier (owner) side's basis points each outcome gives, for the fee rule.
OUTCOME_BP: Final = {Outcome.dismiss: fees.BP_MAX, Outcome.cancel: 0, Outcome.transfer: 0}
#: The panel's median order, from the owner's best to its worst.
_MEDIAN_ORDER: Final = (Outcome.dismiss, Outcome.cancel, Outcome.transfer)


def outcome_bp(outcome: str, supplier_bp: int | None) -> tuple[str, int]:
    """The ruling's outcome and fee basis points; 422 for an order's outcome or a bp that
    contradicts it (no split on an objection)."""
    if outcome not in OBJECTION_OUTCOMES:
        raise InvalidDispute(
            "a dispute on an objection is ruled transfer, cancel or dismiss (no release, refund "
            "or split)"
        )
    bp = OUTCOME_BP[Outcome(outcome)]
    if supplier_bp not in (None, bp):
        raise InvalidDispute(f"a {outcome} ruling gives the owner {bp} bp; leave supplier_bp out")
    return outcome, bp


def panel_outcome(outcomes: list[str]) -> str | None:
    """Two equal outcomes decide; three all different: the median (cancel); else None."""
    for outcome in outcomes:
        if outcomes.count(outcome) >= 2:
            return outcome
    if len(outcomes) >= 3:
        ranked = sorted(outcomes, key=lambda o: _MEDIAN_ORDER.index(Outcome(o)))
        return ranked[len(ranked) // 2]
    return None


def _entries_about(session: Session) -> registry.EntriesAbout:
    def about(subject: str) -> list[tuple[int, str]]:
        seqs = repository.entry_seqs_about(session, subject)
        return [(e.seq, e.payload_json) for e in repository.journal_entries(session, seqs)]

    return about


def _attach(session: Session, dispute: Dispute, now: datetime) -> None:
    """The exchange's records of the objection as evidence (as ``records.attach`` for an
    order's): the asset's certificate(s) and the objection's own entries."""
    assert dispute.id is not None
    assert dispute.objection_id is not None
    for seq in registry.record_seqs(session, dispute.objection_id, _entries_about(session)):
        entry = evidence_repository.journal_entry(session, seq)
        assert entry is not None
        content = records.record_bytes(session, seq)
        evidence_repository.add(
            session,
            Evidence(
                dispute_id=dispute.id, source=records.SYSTEM, kind=entry.kind,
                title=f"{entry.kind} (journal entry {seq}, {entry.subject})",
                media_type=records.RECORD_MEDIA_TYPE, size_bytes=len(content),
                sha256=hashlib.sha256(content).hexdigest(), record_seq=seq, journal_seq=seq,
                created_at=now,
            ),
        )  # fmt: skip


def escalate(
    session: Session,
    settings: Settings,
    principal: Principal,
    asset_id: int,
    objection_id: int,
    *,
    statement: str,
    now: datetime,
) -> DisputeView:
    """Open the dispute on the objection (module docstring). 404 to anyone but its two sides;
    403 unverified; 409 ``dispute_exists`` (escalated already), ``objection_state`` (decided by
    an operator), ``insufficient_funds`` (the opener's fee), ``no_arbitrator``."""
    facts = registry.objection_for_party(session, principal, asset_id, objection_id)
    if not principal.verified:
        raise NotDisputeParty("only a verified organisation may escalate an objection")
    objector = principal.organization.id == facts.objector_organization_id
    side = Side.buyer if objector else Side.supplier
    if repository.by_objection(session, objection_id) is not None:
        raise DisputeExists(f"objection {objection_id} is under arbitration already")
    row = Dispute(
        objection_id=objection_id,
        buyer_organization_id=facts.objector_organization_id,
        supplier_organization_id=facts.owner_organization_id,
        opened_by=principal.account_id,
        opener_side=side.value,
        reason=facts.reason_code,
        statement=statement,
        statement_sha256=hashlib.sha256(statement.encode()).hexdigest(),
        amount_minor=0,
        currency=settings.currency,
        evidence_closes_at=now + timedelta(seconds=settings.evidence_period_s),
        created_at=now,
        updated_at=now,
    )
    if repository.add_unique(session, row) is None:
        raise DisputeExists(f"objection {objection_id} is under arbitration already")
    assert row.id is not None
    # An objection decided by an operator (or escalated) is the objection lifecycle's 409.
    registry.escalate(session, principal, objection_id, dispute_id=row.id, now=now)
    ref = reference(row.id)
    row.opener_fee_hold_id = hold_fee(
        session, principal, row, amount_minor=settings.arbitration_fee_minor, what="fee-opener",
        now=now,
    )  # fmt: skip
    entry = journal.append(
        session,
        kind=OPENED_KIND,
        subject=ref,
        actor=principal.address,
        payload={
            "dispute_id": row.id,
            "objection_id": objection_id,
            "asset_id": asset_id,
            "reason": row.reason,
            "opener_side": side.value,
            "statement_sha256": row.statement_sha256,
            "evidence_closes_at": row.evidence_closes_at.isoformat(),
        },
    )
    row.opened_seq = entry.seq
    session.add(row)
    session.flush()
    draw.assign(session, settings, row, round_=1, actor=exchange_address(settings), now=now)
    _attach(session, row, now)
    return dispute_view(session, row)


def _settle_fee(
    session: Session, hold_id: int | None, *, buyer: bool, bp: int, ref: str, actor: str,
    now: datetime,
) -> None:  # fmt: skip
    """A fee hold forfeited in the proportion its side lost, the rest returned (as an order's:
    ``execution._fee_hold``)."""
    if hold_id is None:
        return
    lost = fees.forfeited(books.get_hold(session, hold_id).amount_minor, buyer=buyer,
                          supplier_bp=bp)  # fmt: skip
    if lost == 0:
        books.refund(session, hold_id=hold_id, reference=ref, actor=actor, now=now)
    else:
        books.split(
            session, hold_id=hold_id, payee_org_id=None, payee_minor=0, exchange_minor=lost,
            arbitration_fee=True, reference=ref, actor=actor, now=now,
        )  # fmt: skip


def _signing_context(session: Session, settings: Settings, dispute: Dispute) -> SigningContext:
    """What the transfer's certificate is signed under: the domain the ruling in force was
    signed under (the job runs without the chain's runtime), and the exchange's key."""
    assert dispute.id is not None
    ruling = repository.rulings(session, dispute.id, dispute.round)[-1]
    domain: dict[str, Any] = ruling.document["domain"]
    key = bytes.fromhex(settings.anchor_recorder_key.get_secret_value().removeprefix("0x"))
    return SigningContext(int(domain["chainId"]), domain.get("verifyingContract"), key)


def execute(
    session: Session, settings: Settings, dispute: Dispute, *, actor: str, now: datetime
) -> None:
    """Execute the (locked, due) ruling on the objection: the fees, the registration,
    ``ruling.executed``, the dispute ``executed``."""
    assert dispute.id is not None
    assert dispute.objection_id is not None
    assert dispute.outcome is not None
    assert dispute.supplier_bp is not None
    transition = lifecycle.require(dispute.status, DisputeEvent.execute)
    bp, ref = dispute.supplier_bp, reference(dispute.id)
    # The asset and the objection before the fees move (the journal head), as an asset's change
    # locks the asset before the head.
    registry.lock_for_ruling(session, dispute.objection_id)
    opener_buyer = dispute.opener_side == Side.buyer
    for hold_id, buyer in (
        (dispute.opener_fee_hold_id, opener_buyer),
        (dispute.respondent_fee_hold_id, not opener_buyer),
        (dispute.appeal_fee_hold_id, dispute.appellant_side == Side.buyer),
    ):
        _settle_fee(session, hold_id, buyer=buyer, bp=bp, ref=ref, actor=actor, now=now)
    changed = registry.execute_ruling(
        session, dispute.objection_id, dispute.outcome, dispute_id=dispute.id,
        ctx=_signing_context(session, settings, dispute), actor=actor, now=now,
    )  # fmt: skip
    entry = journal.append(
        session,
        kind=transition.kind,
        subject=ref,
        actor=actor,
        payload={
            "dispute_id": dispute.id,
            "objection_id": dispute.objection_id,
            "round": dispute.round,
            "outcome": dispute.outcome,
            "supplier_bp": bp,
            "asset_changed": changed,
        },
    )
    lifecycle.apply(dispute, DisputeEvent.execute)
    dispute.executed_seq, dispute.executed_at, dispute.updated_at = entry.seq, now, now
    session.add(dispute)
    session.flush()
