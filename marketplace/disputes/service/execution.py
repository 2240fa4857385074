"""Executing a final ruling through the books (docs/disputes.md, "Execution"), in the caller's
transaction, under the dispute's row lock:

* the money: a frozen escrow hold is posted to the supplier (release, less the order's fee, as at
  settlement), voided to the buyer (refund) or split (``fees.order_shares``); a clawback hold on
  the supplier is voided back to it (release) or split between the buyer and it, and fee revenue
  returns the buyer the exchange's fee in the same proportion (``fees.clawback_shares``);
* the arbitration fees: each side's fee hold forfeits to the exchange's ``arbitration_fees`` in
  the proportion that side lost, the rest returned (``fees.forfeited``);
* the order → ``settled``, ``refunded`` or ``partially_refunded`` (a refund or a split ends the
  buyer's licence); on a period's dispute the same arithmetic over the period's amount and fee,
  and the period (not the order, nor its licence) moves on;
* ``ruling.executed``, and the dispute ``executed``.

Lock order (docs/architecture.md, "Lock order"): the dispute, the order (a period's: the
period, its plan, the order, its exclusive listing), the order's licence, then the journal head
(the first money moved), then the book accounts.

The state is re-read under the lock, so a dispute executes once whoever asks twice."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc
from marketplace.books import service as books
from marketplace.disputes import fees, lifecycle
from marketplace.disputes.lifecycle import DisputeEvent, DisputeStatus
from marketplace.disputes.models import Dispute, Side
from marketplace.disputes.service.opening import reference
from marketplace.orders import service as orders


def due(dispute: Dispute, now: datetime) -> bool:
    """Whether the dispute's ruling is to execute now: ``final``, or ``ruled`` with its appeal
    window ended."""
    if dispute.status == DisputeStatus.final:
        return True
    return (
        dispute.status == DisputeStatus.ruled
        and dispute.appeal_closes_at is not None
        and as_utc(dispute.appeal_closes_at) <= now
    )


def _fee_hold(
    session: Session, hold_id: int | None, *, buyer: bool, bp: int, ref: str, actor: str,
    now: datetime,
) -> None:  # fmt: skip
    if hold_id is None:
        return
    amount = books.get_hold(session, hold_id).amount_minor
    lost = fees.forfeited(amount, buyer=buyer, supplier_bp=bp)
    if lost == 0:
        books.refund(session, hold_id=hold_id, reference=ref, actor=actor, now=now)
    else:
        books.split(
            session, hold_id=hold_id, payee_org_id=None, payee_minor=0, exchange_minor=lost,
            arbitration_fee=True, reference=ref, actor=actor, now=now,
        )  # fmt: skip


def _move_price(
    session: Session,
    dispute: Dispute,
    order: orders.DisputedOrder,
    *,
    price: int,
    fee: int,
    actor: str,
    now: datetime,
) -> None:
    """Move the disputed money (``price``, of which ``fee`` is the exchange's at settlement: the
    order's, or the period's) by the ruling's ``supplier_bp``."""
    assert dispute.id is not None
    assert dispute.hold_id is not None
    assert dispute.supplier_bp is not None
    bp, ref = dispute.supplier_bp, reference(dispute.id)
    if not dispute.clawback:
        if bp == fees.BP_MAX:
            books.release(
                session, hold_id=dispute.hold_id, payee_org_id=order.supplier_organization_id,
                fee_minor=fee, reference=ref, actor=actor, now=now,
            )  # fmt: skip
        elif bp == 0:
            books.refund(session, hold_id=dispute.hold_id, reference=ref, actor=actor, now=now)
        else:
            shares = fees.order_shares(price, fee, bp)
            books.split(
                session, hold_id=dispute.hold_id, payee_org_id=order.supplier_organization_id,
                payee_minor=shares.supplier_minor, exchange_minor=shares.fee_minor,
                reference=ref, actor=actor, now=now,
            )  # fmt: skip
        return
    claw = fees.clawback_shares(price, fee, bp)
    if claw.to_buyer_minor == 0:
        books.refund(session, hold_id=dispute.hold_id, reference=ref, actor=actor, now=now)
    else:
        books.split(
            session, hold_id=dispute.hold_id, payee_org_id=order.buyer_organization_id,
            payee_minor=claw.to_buyer_minor, exchange_minor=0, reference=ref, actor=actor,
            now=now,
        )  # fmt: skip
    if claw.fee_returned_minor > 0:
        books.return_fee(
            session, org_id=order.buyer_organization_id, amount_minor=claw.fee_returned_minor,
            currency=order.currency, transfer_id=f"dispute-{dispute.id}-fee-returned",
            reference=ref, actor=actor, now=now,
        )  # fmt: skip


def execute(session: Session, dispute: Dispute, *, actor: str, now: datetime) -> bool:
    """Execute the (locked) dispute's ruling if it is due; False (nothing done) otherwise."""
    if not due(dispute, now):
        return False
    assert dispute.id is not None
    assert dispute.hold_id is not None
    assert dispute.supplier_bp is not None
    assert dispute.outcome is not None
    assert dispute.order_id is not None  # an objection's: service/objections.py
    transition = lifecycle.require(dispute.status, DisputeEvent.execute)
    bp, ref = dispute.supplier_bp, reference(dispute.id)
    # The order (a period: the period, its plan, the order) and what closing it writes are
    # locked before the money moves (the journal head).
    if dispute.period:
        order, period = orders.lock_period_for_ruling(session, dispute.order_id, dispute.period)
        price, fee = period.amount_minor, period.fee_minor
    else:
        order = orders.lock_for_ruling(session, dispute.order_id)
        price, fee = order.price_minor, order.fee_minor or 0
    _move_price(session, dispute, order, price=price, fee=fee, actor=actor, now=now)
    opener_buyer = dispute.opener_side == Side.buyer
    for hold_id, buyer in (
        (dispute.opener_fee_hold_id, opener_buyer),
        (dispute.respondent_fee_hold_id, not opener_buyer),
        (dispute.appeal_fee_hold_id, dispute.appellant_side == Side.buyer),
    ):
        _fee_hold(session, hold_id, buyer=buyer, bp=bp, ref=ref, actor=actor, now=now)
    if dispute.period:
        orders.close_period_dispute(
            session, dispute.order_id, dispute.period, outcome=dispute.outcome,
            dispute_id=dispute.id, actor=actor, now=now,
        )  # fmt: skip
    else:
        orders.close_dispute(
            session, dispute.order_id, outcome=dispute.outcome, dispute_id=dispute.id,
            actor=actor, now=now,
        )  # fmt: skip
    entry = journal.append(
        session,
        kind=transition.kind,
        subject=ref,
        actor=actor,
        payload={
            "dispute_id": dispute.id,
            "order_id": dispute.order_id,
            **({"period": dispute.period} if dispute.period else {}),
            "round": dispute.round,
            "outcome": dispute.outcome,
            "supplier_bp": bp,
            "hold_id": dispute.hold_id,
            "clawback": dispute.clawback,
        },
    )
    lifecycle.apply(dispute, DisputeEvent.execute)
    dispute.executed_seq, dispute.executed_at, dispute.updated_at = entry.seq, now, now
    session.add(dispute)
    session.flush()
    return True
