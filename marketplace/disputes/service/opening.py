"""Opening a dispute (docs/disputes.md, "Opening"): the order's buyer or supplier, with a reason
code and a statement. In one transaction: the dispute row (one per order: a second is 409
``dispute_exists``, the race met on the unique ``order_id``), the order → ``disputed`` (its
escrow hold frozen), or for a settled order within the dispute window the supplier's proceeds
clawed back into a hold, the opener's arbitration fee held, ``dispute.opened`` (no amounts), and
the draw of the arbitrator (``arbitrator.drawn``). Any refusal writes nothing."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlmodel import Session

from ledger import journal
from marketplace.books import service as books
from marketplace.books.errors import InsufficientFunds
from marketplace.disputes import repository
from marketplace.disputes.errors import (
    DisputeExists,
    DisputeStateConflict,
    DisputeWindowClosed,
    NotDisputeParty,
    ProceedsWithdrawn,
)
from marketplace.disputes.lifecycle import OPENED_KIND
from marketplace.disputes.models import Dispute, Reason, Side
from marketplace.disputes.schemas import DisputeView
from marketplace.disputes.service import draw, records
from marketplace.disputes.service.views import dispute_view, exchange_address
from marketplace.orders import service as orders
from marketplace.principal import Principal
from marketplace.settings import Settings


def transfer_id(dispute_id: int, what: str) -> str:
    """The books' transfer id of a dispute's hold: ``dispute-{id}-{what}`` (``clawback``,
    ``fee-opener``, ``fee-respondent``, ``fee-appeal``)."""
    return f"dispute-{dispute_id}-{what}"


def reference(dispute_id: int) -> str:
    return f"dispute:{dispute_id}"


def hold_fee(
    session: Session,
    principal: Principal,
    dispute: Dispute,
    *,
    amount_minor: int,
    what: str,
    now: datetime,
) -> int | None:
    """Hold ``amount_minor`` of the caller's organisation's money as its ``what`` fee for the
    dispute (``fee-opener``, ``fee-appeal``): the hold's id, or None when the fee is 0. 409
    ``insufficient_funds`` when the money is not there."""
    if amount_minor == 0:
        return None
    org = principal.organization.id
    assert org is not None
    assert dispute.id is not None
    held = books.hold(
        session, org_id=org, amount_minor=amount_minor, currency=dispute.currency,
        reference=reference(dispute.id), transfer_id=transfer_id(dispute.id, what), now=now,
    )  # fmt: skip
    return held.id


def open_dispute(
    session: Session,
    settings: Settings,
    principal: Principal,
    order_id: int,
    *,
    reason: Reason,
    statement: str,
    now: datetime,
) -> DisputeView:
    order = orders.party_order(session, principal, order_id)  # 404 to anyone but its parties
    if not principal.verified:
        raise NotDisputeParty("only a verified organisation may open a dispute")
    side = Side.buyer if principal.organization.id == order.buyer_organization_id else Side.supplier
    if repository.by_order(session, order_id) is not None:
        raise DisputeExists(f"order {order_id} has a dispute already; an appeal continues it")
    if order.periodic:
        raise DisputeStateConflict(
            f"order {order_id} is a subscription or metered order: disputing one is not "
            "supported yet"
        )
    clawback = order.status == "settled"
    if clawback:
        assert order.settled_at is not None
        deadline = order.settled_at + timedelta(seconds=settings.dispute_window_s)
        if now >= deadline:
            raise DisputeWindowClosed(
                f"order {order_id} settled at {order.settled_at.isoformat()}; it could be "
                f"disputed until {deadline.isoformat()}"
            )
    row = Dispute(
        order_id=order_id,
        buyer_organization_id=order.buyer_organization_id,
        supplier_organization_id=order.supplier_organization_id,
        opened_by=principal.account_id,
        opener_side=side.value,
        reason=reason.value,
        statement=statement,
        statement_sha256=hashlib.sha256(statement.encode()).hexdigest(),
        amount_minor=order.price_minor,
        currency=order.currency,
        clawback=clawback,
        evidence_closes_at=now + timedelta(seconds=settings.evidence_period_s),
        created_at=now,
        updated_at=now,
    )
    if repository.add_unique(session, row) is None:
        raise DisputeExists(f"order {order_id} has a dispute already; an appeal continues it")
    assert row.id is not None
    # Lifecycle refusals (an order placed, cancelled, refunded...) are the order's 409.
    orders.mark_disputed(session, order_id, dispute_id=row.id, actor=principal.address, now=now)
    ref = reference(row.id)
    if clawback:
        assert order.fee_minor is not None
        try:
            held = books.hold(
                session, org_id=order.supplier_organization_id,
                amount_minor=order.price_minor - order.fee_minor, currency=order.currency,
                reference=ref, transfer_id=transfer_id(row.id, "clawback"), now=now,
            )  # fmt: skip
        except InsufficientFunds as exc:
            raise ProceedsWithdrawn(
                f"the supplier's proceeds of order {order_id} are no longer in its available "
                "balance: the exchange cannot claw them back, so it cannot take the dispute"
            ) from exc
        row.hold_id = held.id
    else:
        row.hold_id = order.hold_id
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
            "order_id": order_id,
            "reason": reason.value,
            "opener_side": side.value,
            "statement_sha256": row.statement_sha256,
            "clawback": clawback,
            "hold_id": row.hold_id,
            "evidence_closes_at": row.evidence_closes_at.isoformat(),
        },
    )
    row.opened_seq = entry.seq
    session.add(row)
    session.flush()
    draw.assign(session, settings, row, round_=1, actor=exchange_address(settings), now=now)
    records.attach(session, row, now)  # the exchange's records of the order, as evidence
    return dispute_view(session, row)
