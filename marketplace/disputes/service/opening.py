"""Opening a dispute (docs/disputes.md, "Opening"): the order's buyer or supplier, with a reason
code and a statement, about the order or (a subscription or metered order) one of its periods.
In one transaction: the dispute row (one per order, or per period: a second is 409
``dispute_exists``, the race met on the unique ``(order_id, period)``), the order → ``disputed``
(its escrow hold frozen) or the period → ``disputed`` (its hold frozen), or for a settled order
or period within the order's dispute window (its agreed terms' ``dispute_window_h`` from the
settlement, ``orders.window_closes_at``) the supplier's proceeds clawed back into a hold, the
opener's arbitration fee held, ``dispute.opened`` (no amounts), and the draw of the arbitrator
(``arbitrator.drawn``). Any refusal writes nothing.

``open_periods`` tells, by the same rules, which of an order's periods may be disputed now (the
buyer's order page links those)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
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
from marketplace.orders.schemas import PeriodPublic
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


@dataclass(frozen=True)
class _Disputed:
    """What a dispute is about: the order, and the money in dispute — the order's price and fee
    and its hold, or one period's amount, fee and hold (``period`` its number, 0 for the
    order)."""

    order: orders.DisputedOrder
    period: int
    amount_minor: int
    fee_minor: int
    hold_id: int | None
    settled_at: datetime | None
    record_seqs: tuple[int, ...] = ()


def _subject(
    session: Session, principal: Principal, order_id: int, period: int | None
) -> _Disputed:
    """The order or its period, locked; 404 to anyone but the order's parties, 404
    ``period_not_found``, 409 ``dispute_state`` for a periodic order disputed as a whole."""
    if period is not None:
        order, found = orders.party_period(session, principal, order_id, period)
        settled_at = found.settled_at if found.status == "settled" else None
        return _Disputed(
            order, period, found.amount_minor, found.fee_minor, found.hold_id, settled_at,
            found.record_seqs,
        )  # fmt: skip
    order = orders.party_order(session, principal, order_id)  # 404 to anyone but its parties
    if order.periodic:
        raise DisputeStateConflict(
            f"order {order_id} is a subscription or metered order: its money moves per period, "
            "so a dispute names the period (`period`)"
        )
    settled_at = order.settled_at if order.status == "settled" else None
    return _Disputed(order, 0, order.price_minor, order.fee_minor or 0, order.hold_id, settled_at)


def open_periods(
    session: Session, order_id: int, periods: Sequence[PeriodPublic], *, now: datetime
) -> frozenset[int]:
    """The numbers of ``periods`` (the order's, as its party read them) that a party may dispute
    at ``now``: a period the lifecycle lets be disputed (held; settled, before its
    ``dispute_closes_at``, the deadline ``open_dispute`` refuses at) that has no dispute yet.
    ``open_dispute`` may still refuse one (an unverified organisation, the arbitration fee not
    there, a race)."""
    taken = repository.disputed_periods(session, order_id)
    return frozenset(
        p.number
        for p in periods
        if orders.period_disputable(p.status)
        and p.number not in taken
        and (p.dispute_closes_at is None or now < p.dispute_closes_at)
    )


def order_disputed(session: Session, order_id: int) -> bool:
    """Whether the order, as a whole, has a dispute (open, ruled or executed): a second is 409
    ``dispute_exists``, an appeal continues the first."""
    return repository.by_order(session, order_id) is not None


def _window_words(window_h: int | None) -> str:
    if window_h is None:
        return "the exchange's dispute window, for an order placed before orders kept their own"
    return f"the dispute window its terms signed: {window_h:,} h after settlement"


def _what(disputed: _Disputed) -> str:
    number, order_id = disputed.period, disputed.order.id
    return f"period {number} of order {order_id}" if number else f"order {order_id}"


def open_dispute(
    session: Session,
    settings: Settings,
    principal: Principal,
    order_id: int,
    *,
    reason: Reason,
    statement: str,
    now: datetime,
    period: int | None = None,
) -> DisputeView:
    disputed = _subject(session, principal, order_id, period)
    if not principal.verified:
        raise NotDisputeParty("only a verified organisation may open a dispute")
    order, what = disputed.order, _what(disputed)
    side = Side.buyer if principal.organization.id == order.buyer_organization_id else Side.supplier
    if repository.by_order(session, order_id, period=disputed.period) is not None:
        raise DisputeExists(f"{what} has a dispute already; an appeal continues it")
    clawback = disputed.settled_at is not None
    if disputed.settled_at is not None:
        deadline = orders.window_closes_at(settings, order.dispute_window_h, disputed.settled_at)
        if now >= deadline:
            raise DisputeWindowClosed(
                f"{what} settled at {disputed.settled_at.isoformat()}; it could be "
                f"disputed until {deadline.isoformat()} ({_window_words(order.dispute_window_h)})"
            )
    row = Dispute(
        order_id=order_id,
        period=disputed.period,
        buyer_organization_id=order.buyer_organization_id,
        supplier_organization_id=order.supplier_organization_id,
        opened_by=principal.account_id,
        opener_side=side.value,
        reason=reason.value,
        statement=statement,
        statement_sha256=hashlib.sha256(statement.encode()).hexdigest(),
        amount_minor=disputed.amount_minor,
        currency=order.currency,
        clawback=clawback,
        evidence_closes_at=now + timedelta(seconds=settings.evidence_period_s),
        created_at=now,
        updated_at=now,
    )
    if repository.add_unique(session, row) is None:
        raise DisputeExists(f"{what} has a dispute already; an appeal continues it")
    assert row.id is not None
    # Lifecycle refusals (an order placed, cancelled, refunded; a period due...) are a 409.
    if disputed.period:
        orders.mark_period_disputed(
            session, order_id, disputed.period, dispute_id=row.id, actor=principal.address,
            now=now,
        )  # fmt: skip
    else:
        orders.mark_disputed(session, order_id, dispute_id=row.id, actor=principal.address, now=now)
    ref = reference(row.id)
    if clawback:
        try:
            held = books.hold(
                session, org_id=order.supplier_organization_id,
                amount_minor=disputed.amount_minor - disputed.fee_minor, currency=order.currency,
                reference=ref, transfer_id=transfer_id(row.id, "clawback"), now=now,
            )  # fmt: skip
        except InsufficientFunds as exc:
            raise ProceedsWithdrawn(
                f"the supplier's proceeds of {what} are no longer in its available "
                "balance: the exchange cannot claw them back, so it cannot take the dispute"
            ) from exc
        row.hold_id = held.id
    else:
        row.hold_id = disputed.hold_id
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
            # A period's number only on a period's dispute: an order's entry is as it was.
            **({"period": disputed.period} if disputed.period else {}),
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
    # The exchange's records of the order (and the period's own entries), as evidence.
    records.attach(session, row, now, period_seqs=disputed.record_seqs)
    return dispute_view(session, row)
