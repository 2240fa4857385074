"""A dispute's public shape for its parties, arbitrators and operators, and the exchange's own
address (the actor of what it does by itself: draws, execution)."""

from __future__ import annotations

from eth_account import Account
from sqlmodel import Session

from marketplace.disputes import repository
from marketplace.disputes.models import Dispute
from marketplace.disputes.schemas import AssignmentView, DisputePage, DisputeView, RulingView
from marketplace.disputes.service.access import reads_contents, visible_dispute
from marketplace.principal import OrgRole, Principal
from marketplace.settings import Settings


def exchange_address(settings: Settings) -> str:
    address: str = Account.from_key(settings.anchor_recorder_key.get_secret_value()).address
    return address


def dispute_view(session: Session, dispute: Dispute, *, contents: bool = True) -> DisputeView:
    """The dispute; without ``contents`` (an operator's view) the opener's statement is left out
    and only its SHA-256 shown (docs/disputes.md, "Reads")."""
    assert dispute.id is not None
    return DisputeView(
        id=dispute.id,
        order_id=dispute.order_id,
        period=dispute.period or None,
        objection_id=dispute.objection_id,
        buyer_organization_id=dispute.buyer_organization_id,
        supplier_organization_id=dispute.supplier_organization_id,
        opener_side=dispute.opener_side,
        reason=dispute.reason,
        statement=dispute.statement if contents else None,
        statement_sha256=dispute.statement_sha256,
        status=dispute.status,
        round=dispute.round,
        clawback=dispute.clawback,
        amount_minor=dispute.amount_minor,
        currency=dispute.currency,
        hold_id=dispute.hold_id,
        opener_fee_hold_id=dispute.opener_fee_hold_id,
        respondent_fee_hold_id=dispute.respondent_fee_hold_id,
        appeal_fee_hold_id=dispute.appeal_fee_hold_id,
        appellant_side=dispute.appellant_side,
        evidence_closes_at=dispute.evidence_closes_at,
        appeal_closes_at=dispute.appeal_closes_at,
        outcome=dispute.outcome,
        supplier_bp=dispute.supplier_bp,
        opened_seq=dispute.opened_seq,
        executed_seq=dispute.executed_seq,
        executed_at=dispute.executed_at,
        created_at=dispute.created_at,
        assignments=[
            AssignmentView(
                account_id=a.account_id,
                organization_id=a.organization_id,
                round=a.round,
                drawn_seq=a.drawn_seq,
                replaced_seq=a.replaced_seq,
            )
            for a in repository.assignments(session, dispute.id)
        ],
        rulings=[
            RulingView(
                round=r.round,
                account_id=r.account_id,
                outcome=r.outcome,
                supplier_bp=r.supplier_bp,
                reasons=r.reasons,
                signer=r.signer,
                signature=r.signature,
                document=r.document,
                journal_seq=r.journal_seq,
                created_at=r.created_at,
            )
            for r in repository.rulings(session, dispute.id)
        ],
    )


def get_dispute(session: Session, principal: Principal, dispute_id: int) -> DisputeView:
    """The dispute, to its parties, its drawn arbitrators and operators; 404 to anyone else."""
    found = visible_dispute(session, principal, dispute_id)
    return dispute_view(session, found, contents=reads_contents(session, found, principal))


def my_disputes(session: Session, principal: Principal, *, limit: int) -> DisputePage:
    """The caller's disputes, newest first: its organisation's as a party, those it is drawn
    for; every dispute for an operator."""
    org = principal.organization.id
    assert org is not None
    rows = repository.visible_to(
        session,
        organization_id=org,
        account_id=principal.account_id if principal.verified else 0,
        everything=principal.verified and OrgRole.operator.value in principal.roles,
        limit=limit,
    )
    return DisputePage(
        items=[
            dispute_view(session, d, contents=reads_contents(session, d, principal)) for d in rows
        ]
    )
