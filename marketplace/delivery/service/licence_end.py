"""Ending a licence early: a subscription the buyer stopped paying (or did not renew) ends with
the last period paid for. The orders domain calls this through ``orders.service.stop_hooks``
(docs/orders.md#subscriptions-and-metered-usage); delivery registers it when it is wired to
orders."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc
from marketplace.delivery import repository
from marketplace.identity.signing import ZERO_ADDRESS

ENDED_KIND = "licence.ended"


def lock_licence_of_order(session: Session, order_id: int) -> None:
    """``orders.service.stop_locks``: lock the order's licence, if it has one, before the
    transaction's first journal append (``end_licence_at`` may write it later)."""
    found = repository.licence_for_order(session, order_id)
    if found is not None and found.id is not None:
        repository.lock_licence(session, found.id)


def end_licence_at(session: Session, order_id: int, at: datetime) -> None:
    """The order's licence expires at ``at`` if it would expire later (``licence.ended``);
    nothing happens to an order without a licence or one ending sooner already."""
    found = repository.licence_for_order(session, order_id)
    if found is None or found.id is None:
        return
    row = repository.lock_licence(session, found.id)
    if row is None or as_utc(row.expires_at) <= as_utc(at):
        return
    before = as_utc(row.expires_at)
    row.expires_at = as_utc(at)
    session.add(row)
    session.flush()
    journal.append(
        session,
        kind=ENDED_KIND,
        subject=f"order:{order_id}",
        actor=ZERO_ADDRESS,
        payload={
            "licence_id": row.id,
            "order_id": order_id,
            "expired_at_before": before.isoformat(),
            "expires_at": as_utc(at).isoformat(),
            "why": "its subscription was not paid past this moment",
        },
    )
