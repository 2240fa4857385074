"""Deposits and withdrawals through the payment provider, and the provider's webhook events.

A deposit is recorded as a payment; it moves money (clearing → the organisation's available,
``payment.deposited``) when the provider confirms it: at once (the simulated bank) or by a
webhook event. A withdrawal moves money when it is asked for (the organisation's available →
clearing, ``payment.withdrawn``), refused if the available money is short, so the same money
is never paid out twice; the provider's confirmation only marks it confirmed. Webhook events are
taken once by their id: a replay changes nothing and gets the first answer.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session

from ledger.models import utc_now
from marketplace import limits
from marketplace.books import repository
from marketplace.books.errors import (
    InvalidWebhook,
    PaymentNotFound,
    TransferIdReused,
    WebhookInFlight,
    WebhookSignatureInvalid,
)
from marketplace.books.models import (
    AccountKind,
    Payment,
    PaymentDirection,
    PaymentEvent,
    PaymentStatus,
    TransferCode,
)
from marketplace.books.providers import PaymentProvider, webhook_verified
from marketplace.books.schemas import PaymentView, WebhookAnswer
from marketplace.books.service.accounts import (
    Leg,
    account,
    check_amount,
    check_currency,
    check_transfer_id,
    lock_and_check,
    post,
)
from marketplace.books.service.holds import BOOKS_ACTOR
from marketplace.errors import Forbidden
from marketplace.principal import Principal, check_verified_organization
from marketplace.settings import Settings

KINDS = {
    PaymentDirection.deposit: ("payment.deposited", TransferCode.deposit),
    PaymentDirection.withdrawal: ("payment.withdrawn", TransferCode.withdrawal),
}


class NotOrganizationAdmin(Forbidden):
    code = "not_organization_admin"


def payment_view(row: Payment) -> PaymentView:
    assert row.id is not None
    return PaymentView(
        id=row.id,
        organization_id=row.organization_id,
        direction=PaymentDirection(row.direction).value,
        amount_minor=row.amount_minor,
        currency=row.currency,
        status=PaymentStatus(row.status).value,
        provider=row.provider,
        provider_ref=row.provider_ref,
        transfer_id=row.transfer_id,
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        confirmed_seq=row.confirmed_seq,
    )


def _legs(session: Session, row: Payment) -> list[Leg]:
    clearing = account(session, AccountKind.clearing, row.currency)
    available = account(session, AccountKind.available, row.currency, row.organization_id)
    _, code = KINDS[PaymentDirection(row.direction)]
    debit, credit = (
        (clearing, available)
        if row.direction == PaymentDirection.deposit
        else (available, clearing)
    )
    return [Leg(row.transfer_id, debit, credit, row.amount_minor, code, f"payment:{row.id}")]


def _move(session: Session, row: Payment, actor: str, now: datetime) -> None:
    """Post the payment's transfer and its journal entry; the payment is then confirmed when
    it is a deposit (a withdrawal's confirmation is the provider's)."""
    assert row.id is not None
    kind, _ = KINDS[PaymentDirection(row.direction)]
    seq, _ = post(
        session,
        _legs(session, row),
        kind=kind,
        subject=f"payment:{row.id}",
        actor=actor,
        payload={
            "payment_id": row.id,
            "organization_id": row.organization_id,
            "provider": row.provider,
        },
        now=now,
    )
    row.confirmed_seq = seq


def request_payment(
    session: Session,
    settings: Settings,
    provider: PaymentProvider,
    principal: Principal,
    direction: Literal["deposit", "withdrawal"],
    *,
    amount_minor: int,
    currency: str | None,
    transfer_id: str | None,
    now: datetime | None = None,
) -> PaymentView:
    """A deposit or a withdrawal for the caller's organisation (its admins, once verified).
    ``transfer_id`` (the client's) makes a repeat return the first payment."""
    check_verified_organization(principal)
    if principal.account.membership_role != "admin":
        raise NotOrganizationAdmin("only an admin of the organisation may move its money")
    org_id = principal.organization.id
    assert org_id is not None
    check_amount(amount_minor)
    money = check_currency(currency or settings.currency, {settings.currency})
    now = now or utc_now()
    client_id = None if transfer_id is None else check_transfer_id(transfer_id)
    # Payments' transfer ids live in their own namespace: ``org:{id}:`` + the client's id.
    stored_id = f"org:{org_id}:{client_id}" if client_id else None
    if stored_id is not None:
        found = repository.payment_by_transfer_id(session, stored_id)
        if found is not None:
            if (found.direction, found.amount_minor, found.currency) != (
                direction,
                amount_minor,
                money,
            ):
                raise TransferIdReused(f"transfer id {client_id!r} already names another payment")
            return payment_view(found)
    row = Payment(
        organization_id=org_id,
        direction=direction,
        amount_minor=amount_minor,
        currency=money,
        status=PaymentStatus.pending.value,
        provider=provider.name,
        provider_ref=f"pending:{secrets.token_hex(16)}",
        transfer_id=stored_id or f"pending:{secrets.token_hex(16)}",
        requested_by=principal.account_id,
        created_at=now,
    )
    if direction == PaymentDirection.withdrawal:
        lock_and_check(session, _legs(session, row))  # refused before anything is written
    repository.add(session, row)
    assert row.id is not None
    if stored_id is None:
        row.transfer_id = f"payment:{row.id}"
    answer = provider.start(
        direction, payment_ref=f"payment-{row.id}", amount_minor=amount_minor, currency=money
    )
    row.provider_ref = answer.provider_ref
    session.add(row)
    session.flush()
    if direction == PaymentDirection.withdrawal or answer.confirmed:
        _move(session, row, principal.address, now)
    if answer.confirmed:
        row.status, row.confirmed_at = PaymentStatus.confirmed.value, now
    session.add(row)
    session.flush()
    return payment_view(row)


def _event(body: bytes) -> dict[str, Any]:
    try:
        event = json.loads(body)
    except ValueError:
        raise InvalidWebhook("the event is not JSON") from None
    if not isinstance(event, dict):
        raise InvalidWebhook("the event is a JSON object")
    event_id, ref, kind = event.get("event_id"), event.get("provider_ref"), event.get("type")
    if (
        not isinstance(event_id, str)
        or not 1 <= len(event_id) <= limits.books_webhook_event_id_length_max
        or not event_id.isprintable()
    ):
        raise InvalidWebhook("event_id is 1 to 200 printable characters")
    if not isinstance(ref, str) or not 1 <= len(ref) <= 200:
        raise InvalidWebhook("provider_ref names the payment (1 to 200 characters)")
    if kind != "payment.confirmed":
        raise InvalidWebhook("type: the only event the exchange takes is payment.confirmed")
    return event


def webhook(
    session: Session,
    settings: Settings,
    provider: PaymentProvider,
    *,
    body: bytes,
    timestamp: str,
    signature: str,
    now: datetime | None = None,
) -> WebhookAnswer:
    """Take one signed provider event. 401 unless the signature over the exact body and the
    timestamp (within 5 minutes) is the provider's; a replayed event id answers as the first
    time did and changes nothing."""
    now = now or utc_now()
    secret = settings.payment_webhook_secret.get_secret_value()
    if not webhook_verified(secret, timestamp, body, signature, now.timestamp()):
        raise WebhookSignatureInvalid(
            "the event's signature or timestamp is not the payment provider's"
        )
    event = _event(body)
    seen = repository.payment_event(session, provider.name, event["event_id"])
    if seen is not None:
        return WebhookAnswer(
            event_id=seen.event_id, outcome=seen.outcome, payment_id=seen.payment_id
        )
    row = repository.payment_by_ref(session, provider.name, event["provider_ref"], lock=True)
    if row is None:
        raise PaymentNotFound(f"no payment {event['provider_ref'][:80]!r} from this provider")
    # Deliveries of one event queue on the payment's lock; the later ones find the first's.
    seen = repository.payment_event(session, provider.name, event["event_id"])
    if seen is not None:
        return WebhookAnswer(
            event_id=seen.event_id, outcome=seen.outcome, payment_id=seen.payment_id
        )
    assert row.id is not None
    if event.get("amount_minor") != row.amount_minor or event.get("currency") != row.currency:
        raise InvalidWebhook("the event's amount or currency is not the payment's")
    outcome = "already_confirmed"
    if row.status == PaymentStatus.pending:
        if row.direction == PaymentDirection.deposit:
            _move(session, row, BOOKS_ACTOR, now)
        row.status, row.confirmed_at = PaymentStatus.confirmed.value, now
        session.add(row)
        outcome = "confirmed"
    taken = PaymentEvent(
        provider=provider.name, event_id=event["event_id"], payment_id=row.id, outcome=outcome,
        received_at=now,
    )  # fmt: skip
    if not repository.add_event_unless_there(session, taken):
        # A concurrent delivery of the same event took it first (SQLite never gets here).
        raise WebhookInFlight("another delivery of this event is being taken; send it again")
    session.flush()
    return WebhookAnswer(event_id=event["event_id"], outcome=outcome, payment_id=row.id)
