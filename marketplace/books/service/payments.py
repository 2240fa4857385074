"""Deposits and withdrawals through the payment provider, and the provider's answers.

The provider is never called inside a database transaction. A request records the payment and
its outbox row (the provider call it owes) in its transaction; a withdrawal also sets its money
aside there, available → the organisation's withdrawing account (``payment.withdrawal_requested``),
refused if the available money is short, so the same money can never be paid out twice. After
the commit the request, or else the payments worker (``payment_job.py``), calls the provider with
the payment's idempotency key and records its answer (``record_answer``) in a transaction of
its own, under the payment's row lock, by the declared lifecycle (``payment_lifecycle.py``):

- confirmed: a deposit moves clearing → available (``payment.deposited``); a withdrawal moves
  withdrawing → clearing (``payment.withdrawn``);
- failed: a withdrawal's money returns, withdrawing → available (``payment.failed``);
- returned (the webhook's ``payment.returned``): a withdrawal the provider paid out came back
  from the beneficiary's bank, clearing → available (``payment.returned``), once;
- accepted: the payment is processing until the provider's signed webhook confirms or fails it,
  or the payments worker's poll (``provider.status``) learns that it did: whichever comes first
  moves the money, and the other finds the payment final.

An answer for a payment already confirmed or failed changes nothing, so the same confirmation
coming from the request, a worker and the webhook posts once. Webhook events are taken once by
their id: a replay changes nothing and gets the first answer.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlmodel import Session

from ledger import journal
from ledger.models import utc_now
from marketplace import limits
from marketplace.books import payment_lifecycle, repository
from marketplace.books.errors import (
    InvalidAmount,
    InvalidWebhook,
    PaymentNotFound,
    PaymentsUnavailable,
    TransferIdReused,
    WebhookInFlight,
    WebhookSignatureInvalid,
)
from marketplace.books.models import (
    AccountKind,
    BookAccount,
    OutboxStatus,
    Payment,
    PaymentDirection,
    PaymentEvent,
    PaymentOutbox,
    PaymentStatus,
    TransferCode,
)
from marketplace.books.payment_lifecycle import PaymentStep
from marketplace.books.providers import (
    ProviderAnswer,
    ProviderOutcome,
    is_simulated,
    webhook_verified,
)
from marketplace.books.schemas import PaymentList, PaymentView, WebhookAnswer
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
from marketplace.identity import service as identity
from marketplace.notifications.backoff import Jitter, delay_s
from marketplace.principal import OrgRole, Principal, check_verified_organization
from marketplace.settings import Settings

log = logging.getLogger(__name__)

_STEP_OF = {
    ProviderOutcome.accepted: PaymentStep.accept,
    ProviderOutcome.confirmed: PaymentStep.confirm,
    ProviderOutcome.failed: PaymentStep.fail,
    ProviderOutcome.returned: PaymentStep.bounce,
}
_WEBHOOK_STEPS = {
    "payment.confirmed": PaymentStep.confirm,
    "payment.failed": PaymentStep.fail,
    "payment.returned": PaymentStep.bounce,
}
#: The status each step ends in: an event that finds its payment so already was delivered.
_TARGETS = {
    PaymentStep.confirm: PaymentStatus.confirmed,
    PaymentStep.fail: PaymentStatus.failed,
    PaymentStep.bounce: PaymentStatus.returned,
}
_REASON_LENGTH_MAX = 300


class NotOrganizationAdmin(Forbidden):
    code = "not_organization_admin"


def payment_view(row: Payment, outbox: PaymentOutbox | None = None) -> PaymentView:
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
        requested_seq=row.requested_seq,
        confirmed_at=row.confirmed_at,
        confirmed_seq=row.confirmed_seq,
        failed_at=row.failed_at,
        failed_seq=row.failed_seq,
        failure_reason=row.failure_reason,
        returned_at=row.returned_at,
        returned_seq=row.returned_seq,
        return_reason=row.return_reason,
        provider_attempts=0 if outbox is None else outbox.attempts,
        last_error=None if outbox is None else outbox.last_error,
    )


def idempotency_key(payment_id: int) -> str:
    """The key the provider gets for a payment: its id, and a random part so that a key is never
    reused by another database (a restored or reset one) whose ids start again."""
    return f"payment-{payment_id}-{secrets.token_hex(12)}"


def _legs(session: Session, row: Payment, step: PaymentStep | None) -> list[Leg]:
    """The transfers a payment's step posts (``None``: a withdrawal's request, checked before
    the payment has its id)."""
    org, money = row.organization_id, row.currency
    available = account(session, AccountKind.available, money, org)
    clearing = account(session, AccountKind.clearing, money)
    moves: dict[PaymentStep | None, tuple[str, BookAccount, BookAccount, TransferCode]]
    if row.direction == PaymentDirection.deposit:
        moves = {PaymentStep.confirm: (row.transfer_id, clearing, available, TransferCode.deposit)}
    else:
        # Recorded before the outbox (no ``requested_seq``): it left for clearing when asked for.
        legacy = row.requested_seq is None
        out = clearing if legacy else account(session, AccountKind.withdrawing, money, org)
        returned = f"payment:{row.id}:return"  # a failure or a return: at most one of them
        moves = {
            None: (row.transfer_id, available, out, TransferCode.withdrawal_hold),
            PaymentStep.fail: (returned, out, available, TransferCode.withdrawal_return),
        }
        if row.status == PaymentStatus.confirmed:  # paid out: it comes back from outside
            moves[PaymentStep.bounce] = (returned, clearing, available,
                                         TransferCode.withdrawal_bounce)  # fmt: skip
        else:  # still in flight: as a failure
            moves[PaymentStep.bounce] = (returned, out, available, TransferCode.withdrawal_return)
        if not legacy:
            moves[PaymentStep.confirm] = (
                f"payment:{row.id}:payout",
                out,
                clearing,
                TransferCode.withdrawal,
            )
    if step not in moves:
        return []
    transfer_id, debit, credit, code = moves[step]
    return [Leg(transfer_id, debit, credit, row.amount_minor, code, f"payment:{row.id}")]


def _journal(
    session: Session,
    row: Payment,
    step: PaymentStep | None,
    kind: str,
    *,
    actor: str,
    now: datetime,
) -> int:
    """Post the step's transfers (if any) with its journal entry ``kind``; the entry's seq."""
    assert row.id is not None
    payload: dict[str, Any] = {
        "payment_id": row.id,
        "organization_id": row.organization_id,
        "direction": row.direction,
        "provider": row.provider,
    }
    legs = _legs(session, row, step)
    subject = f"payment:{row.id}"
    if legs:
        seq, _ = post(session, legs, kind=kind, subject=subject, actor=actor, payload=payload,
                      now=now)  # fmt: skip
        return seq
    return journal.append(session, kind=kind, subject=subject, actor=actor, payload=payload).seq


def request_payment(
    session: Session,
    settings: Settings,
    provider_name: str,
    principal: Principal,
    direction: Literal["deposit", "withdrawal"],
    *,
    amount_minor: int,
    currency: str | None,
    transfer_id: str | None,
    now: datetime | None = None,
) -> PaymentView:
    """Record a deposit or a withdrawal for the caller's organisation (its admins, once
    verified) and the provider call it owes; nothing is sent here. ``transfer_id`` (the
    client's) makes a repeat return the first payment. In production the simulated bank
    takes no money (``providers.is_simulated``)."""
    if settings.mode == "production" and is_simulated(provider_name):
        raise PaymentsUnavailable(
            f"this exchange takes no deposits or withdrawals: its payment provider is the "
            f"{provider_name!r} bank, simulated for development, which would credit money that "
            "no bank moved; its operator must configure a real payment provider"
        )
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
            assert found.id is not None
            return payment_view(found, repository.outbox(session, found.id))
    row = Payment(
        organization_id=org_id,
        direction=direction,
        amount_minor=amount_minor,
        currency=money,
        status=PaymentStatus.pending.value,
        provider=provider_name,
        provider_ref=f"pending:{secrets.token_hex(16)}",
        transfer_id=stored_id or f"pending:{secrets.token_hex(16)}",
        requested_by=principal.account_id,
        created_at=now,
    )
    if direction == PaymentDirection.withdrawal:
        row.requested_seq = 0  # a withdrawal of today's kind: its money goes to withdrawing
        lock_and_check(session, _legs(session, row, None))  # refused before anything is written
        # Read once the journal head is held (``lock_and_check`` takes it first): the
        # organisation's suspension journals under the head, so a withdrawal that passed the
        # token check while the suspension was under way waited for it and is refused here,
        # 403 ``organization_suspended``, rather than asked for after ``organization.suspended``.
        identity.refuse_if_suspended(session, org_id)
    else:
        _check_room_for_deposit(session, money, amount_minor)
    if not repository.add_unless_there(session, row):  # the same transfer id, sent concurrently
        raise TransferIdReused(
            f"transfer id {client_id!r} is being recorded by another request; send it again "
            "to read that payment",
            retry_after_s=1,
        )
    assert row.id is not None
    if stored_id is None:
        row.transfer_id = f"payment:{row.id}"
    if direction == PaymentDirection.withdrawal:
        row.requested_seq = _journal(
            session, row, None, payment_lifecycle.WITHDRAWAL_REQUESTED_KIND,
            actor=principal.address, now=now,
        )  # fmt: skip
    outbox = PaymentOutbox(
        payment_id=row.id,
        idempotency_key=idempotency_key(row.id),
        status=OutboxStatus.pending.value,
        # The request sends it right after its commit; the worker only once this passes.
        next_attempt_at=now + timedelta(seconds=limits.books_payment_grace_s),
        created_at=now,
    )
    session.add(row)
    repository.add(session, outbox)
    return payment_view(row, outbox)


def _check_room_for_deposit(session: Session, money: str, amount_minor: int) -> None:
    """Refuse, when it is asked for, a deposit the books could not take when it is confirmed:
    the clearing account (minus every account's money) may not pass -(2**63-1), counting the
    deposits still in flight. Unlocked, so deposits do not queue on the clearing account; the
    confirmation checks again under the lock (``lock_and_check``)."""
    clearing = account(session, AccountKind.clearing, money)
    in_flight = repository.deposits_in_flight(
        session, money, [s.value for s in payment_lifecycle.IN_FLIGHT]
    )
    if clearing.balance_minor - in_flight - amount_minor < -limits.amount_minor_max:
        raise InvalidAmount(
            f"the exchange's books cannot take this deposit: with the deposits in flight, the "
            f"money held in {money} would pass {limits.amount_minor_max} minor units"
        )


def _move(
    session: Session,
    row: Payment,
    step: PaymentStep,
    *,
    actor: str,
    now: datetime,
    reason: str = "",
) -> bool:
    """Move the (locked) payment by ``step`` if its state allows: post and journal what the step
    does, and close its outbox row when the provider has taken it. False when it allows nothing
    (a final payment): then nothing changes."""
    assert row.id is not None
    found = payment_lifecycle.transition(row.status, step)
    if found is None:
        return False
    kind = found.kinds[PaymentDirection(row.direction)]
    if kind is not None:
        # The provider's reason stays on the payment: free text has no place in the public
        # journal.
        seq = _journal(session, row, step, kind, actor=actor, now=now)
        if step == PaymentStep.confirm:
            row.confirmed_seq, row.confirmed_at = seq, now
        elif step == PaymentStep.bounce:
            row.returned_seq, row.returned_at = seq, now
            row.return_reason = reason[:_REASON_LENGTH_MAX] or "returned by the payee's bank"
        else:
            row.failed_seq, row.failed_at = seq, now
            row.failure_reason = reason[:_REASON_LENGTH_MAX] or "refused by the payment provider"
    row.status = found.target.value
    session.add(row)
    if found.target in payment_lifecycle.FINAL:
        repository.close_outbox(session, row.id, now)
    session.flush()
    return True


def _poll_later(session: Session, payment_id: int, now: datetime, jitter: Jitter) -> None:
    """A processing payment's outbox row waits for the next status poll."""
    box = repository.outbox(session, payment_id)
    polls = max(1, 1 if box is None else box.attempts)
    wait = delay_s(polls, limits.books_payment_poll_s_min, limits.books_payment_poll_s_max, jitter)
    repository.poll_outbox_at(session, payment_id, now + timedelta(seconds=wait))


def record_answer(
    session: Session,
    payment_id: int,
    answer: ProviderAnswer,
    *,
    now: datetime | None = None,
    jitter: Jitter = random.random,
) -> Payment | None:
    """Take the provider's answer for a payment, under its row lock: whoever learned it (the
    request, a worker, a worker whose claim expired, a poll) records it, and only the first
    moves anything. A payment still processing keeps its outbox row, for the next poll. The
    payment, or None if there is none."""
    now = now or utc_now()
    row = repository.get_payment(session, payment_id, lock=True)
    if row is None:
        return None
    if row.status == PaymentStatus.pending:
        row.provider_ref = answer.provider_ref
    elif row.provider_ref != answer.provider_ref:
        log.warning(
            "payment %s: the provider answered with reference %r, it had %r",
            payment_id, answer.provider_ref, row.provider_ref,
        )  # fmt: skip
    step = _STEP_OF[answer.outcome]
    if step == PaymentStep.bounce and row.direction == PaymentDirection.deposit:
        step = PaymentStep.fail  # a deposit sent back never reached the exchange
    _move(session, row, step, actor=BOOKS_ACTOR, now=now, reason=answer.reason)
    if row.status == PaymentStatus.processing:
        _poll_later(session, payment_id, now, jitter)
    else:
        repository.close_outbox(session, payment_id, now)
    session.flush()
    return row


def visible_payment(session: Session, principal: Principal, payment_id: int) -> PaymentView:
    """A payment, to its organisation's members (and operators); 404 to anyone else, as if it
    did not exist."""
    found = repository.get_payment(session, payment_id)
    if found is None or (
        found.organization_id != principal.organization.id
        and OrgRole.operator not in principal.roles
    ):
        raise PaymentNotFound(f"no payment {payment_id}")
    return payment_view(found, repository.outbox(session, payment_id))


def list_payments(
    session: Session, principal: Principal, *, status: str | None = None
) -> PaymentList:
    """The organisation's payments, newest first (at most ``books_payments_listed_max``)."""
    org_id = principal.organization.id
    assert org_id is not None
    rows = repository.payments_of(
        session, org_id, statuses=[status] if status else [],
        limit=limits.books_payments_listed_max,
    )  # fmt: skip
    boxes = repository.outboxes(session, [r.id for r in rows if r.id is not None])
    return PaymentList(items=[payment_view(r, boxes.get(r.id or 0)) for r in rows])


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
    if kind not in _WEBHOOK_STEPS:
        raise InvalidWebhook(
            "type: the events the exchange takes are payment.confirmed, payment.failed and "
            "payment.returned"
        )
    reason = event.get("reason", "")
    if not isinstance(reason, str) or len(reason) > _REASON_LENGTH_MAX:
        raise InvalidWebhook(f"reason is a string of at most {_REASON_LENGTH_MAX} characters")
    return event


def webhook(
    session: Session,
    settings: Settings,
    provider_name: str,
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
    seen = repository.payment_event(session, provider_name, event["event_id"])
    if seen is not None:
        return WebhookAnswer(
            event_id=seen.event_id, outcome=seen.outcome, payment_id=seen.payment_id
        )
    row = repository.payment_by_ref(session, provider_name, event["provider_ref"], lock=True)
    if row is None:
        raise PaymentNotFound(f"no payment {event['provider_ref'][:80]!r} from this provider")
    # Deliveries of one event queue on the payment's lock; the later ones find the first's.
    seen = repository.payment_event(session, provider_name, event["event_id"])
    if seen is not None:
        return WebhookAnswer(
            event_id=seen.event_id, outcome=seen.outcome, payment_id=seen.payment_id
        )
    assert row.id is not None
    if event.get("amount_minor") != row.amount_minor or event.get("currency") != row.currency:
        raise InvalidWebhook("the event's amount or currency is not the payment's")
    step = _WEBHOOK_STEPS[event["type"]]
    if step == PaymentStep.bounce and row.direction != PaymentDirection.withdrawal:
        raise InvalidWebhook("only a withdrawal is returned; this payment is a deposit")
    if _move(session, row, step, actor=BOOKS_ACTOR, now=now, reason=event.get("reason", "")):
        outcome = PaymentStatus(row.status).value
    else:
        outcome = f"already_{PaymentStatus(row.status).value}"
        if row.status != _TARGETS[step]:
            # The provider contradicts its own final answer: nothing moves; operators look.
            log.error("payment %s is %s; the provider now says %s", row.id, row.status,
                      event["type"])  # fmt: skip
    taken = PaymentEvent(
        provider=provider_name, event_id=event["event_id"], payment_id=row.id, outcome=outcome,
        received_at=now,
    )  # fmt: skip
    if not repository.add_unless_there(session, taken):
        # A concurrent delivery of the same event took it first (SQLite never gets here).
        raise WebhookInFlight("another delivery of this event is being taken; send it again")
    session.flush()
    return WebhookAnswer(event_id=event["event_id"], outcome=outcome, payment_id=row.id)
