"""Calling the payment provider after the commit: the request that recorded a payment, and the
payments worker (``bourse worker``, or the server process) for whatever the request did not
finish. The notifications' delivery protocol, for payments; each step is its own short
transaction and no transaction is open during the provider call:

1. Due: the outbox rows pending with ``next_attempt_at`` passed, or claimed by a caller whose
   claim expired (it died, or its call hung). A new row is its request's for
   ``books_payment_grace_s`` first.
2. Claim: one conditional UPDATE sets ``sending``, the holder, ``claimed_until`` and counts the
   attempt. Two callers never both claim a row: the second's UPDATE matches nothing.
3. Call: ``provider.start`` with the payment's idempotency key; for a payment the provider
   already accepted (``processing``), ``provider.status`` with its reference: the poll.
4. Record: the answer moves the payment under its row lock, by its lifecycle
   (``service/payments.record_answer``), and closes the row once the payment is final; while it
   is processing the row waits for the next poll (``books_payment_poll_s_min`` doubling to
   ``books_payment_poll_s_max``), so a payment whose webhook event never comes is still settled.
   An unknown outcome (an exception, a timeout) puts the row back to pending after an
   exponential, jittered backoff, for ever: only the provider's answer (here or by its webhook)
   ends a payment, never the exchange's guess.

A caller whose claim expired mid-call and another that took the row over may both call the
provider: the idempotency key makes that one payment at the provider, and the payment's state
under its lock makes it one posting in the books. A poll and the webhook that learn the same
outcome at once are the same case: the first to lock the payment moves it, the other finds it
final.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from ledger.models import utc_now
from marketplace import limits
from marketplace.books import repository
from marketplace.books.models import PaymentStatus
from marketplace.books.providers import (
    Direction,
    PaymentProvider,
    ProviderAnswer,
    provider_named,
)
from marketplace.books.service.payments import record_answer
from marketplace.db import unit_of_work
from marketplace.errors import DatabourseError
from marketplace.notifications.backoff import Jitter, delay_s
from marketplace.runtime import Runtime
from marketplace.settings import Settings
from marketplace.workers import PollingWorker, attach_worker, holder_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Call:
    payment_id: int
    direction: str
    amount_minor: int
    currency: str
    key: str
    attempt: int
    provider_ref: str
    polling: bool  # the provider accepted it: ask where it stands, never start it again


@dataclass
class PaymentRun:
    """What one run did: payment id → its status after the call (``pending`` when the outcome
    was unknown and it is tried again later)."""

    sent: dict[int, str] = field(default_factory=dict)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident():x}"


def _claim(
    engine: Engine, payment_id: int, holder: str, now: datetime, *, fresh: bool
) -> _Call | None:
    until = now + timedelta(seconds=limits.books_payment_claim_s)
    with unit_of_work(engine) as session:
        if not repository.claim_outbox(session, payment_id, holder, now, until, fresh=fresh):
            return None
        row = repository.get_payment(session, payment_id)
        box = repository.outbox(session, payment_id)
        assert row is not None
        assert box is not None
        return _Call(payment_id, row.direction, row.amount_minor, row.currency,
                     box.idempotency_key, box.attempts, row.provider_ref,
                     row.status == PaymentStatus.processing)  # fmt: skip


def send(
    engine: Engine,
    provider: PaymentProvider,
    payment_id: int,
    *,
    holder: str | None = None,
    fresh: bool = False,
    now: datetime | None = None,
    jitter: Jitter = random.random,
) -> str | None:
    """Steps 2 to 4 for one payment: its status afterwards, or None when the call was not
    this caller's to make (another has it, or it is done). ``fresh``: the request that recorded
    the payment, which may send it before it is due. Never raises for the provider's sake."""
    holder = holder or _holder()
    moment = now or utc_now()
    call = _claim(engine, payment_id, holder, moment, fresh=fresh)
    if call is None:
        return None
    answer: ProviderAnswer | None = None
    error = ""
    direction: Direction = "deposit" if call.direction == "deposit" else "withdrawal"
    try:
        if call.polling:
            answer = provider.status(direction, provider_ref=call.provider_ref)
        else:
            answer = provider.start(
                direction,
                idempotency_key=call.key,
                amount_minor=call.amount_minor,
                currency=call.currency,
            )
    except Exception as exc:  # noqa: BLE001 -- an unknown outcome: it may or may not have moved
        error = f"{type(exc).__name__}: {exc}"[: limits.books_payment_error_length_max]
        log.warning("payment %s: the provider call failed (%s); it is retried", payment_id, error)
    if answer is not None:
        try:
            with unit_of_work(engine) as session:
                row = record_answer(session, payment_id, answer, now=now, jitter=jitter)
                return None if row is None else PaymentStatus(row.status).value
        except DatabourseError as exc:  # the books refused the posting: nothing was written
            error = f"the books refused the provider's answer: {exc.message}"
            error = error[: limits.books_payment_error_length_max]
            log.exception("payment %s: %s; it is retried", payment_id, error)
    with unit_of_work(engine) as session:
        wait = delay_s(
            call.attempt, limits.books_payment_retry_s_min, limits.books_payment_retry_s_max,
            jitter,
        )  # fmt: skip
        at = moment + timedelta(seconds=wait)
        if not repository.retry_outbox(session, payment_id, holder, at=at, error=error):
            log.info("payment %s: the claim was taken over meanwhile", payment_id)
        return PaymentStatus.pending.value


def run_once(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime | None = None,
    holder: str | None = None,
    provider: PaymentProvider | None = None,
    payments_max: int = limits.books_payments_per_step_max,
) -> PaymentRun:
    """Step 1 then 2 to 4 for the provider calls due at ``now`` (at most ``payments_max``)."""
    moment = now or utc_now()
    provider = provider or provider_named(settings.payment_provider)
    holder = holder or _holder()
    run = PaymentRun()
    with unit_of_work(engine) as session:
        due = repository.due_outbox_ids(session, moment, payments_max)
    for payment_id in due:
        status = send(engine, provider, payment_id, holder=holder, now=moment)
        if status is not None:
            run.sent[payment_id] = status
    return run


def send_after_commit(engine: Engine, settings: Settings, payment_id: int) -> None:
    """What a request does once its transaction committed: send its new payment now (the worker
    does it later if this fails, or the process dies first). Never raises."""
    try:
        send(engine, provider_named(settings.payment_provider), payment_id, fresh=True)
    except Exception:
        log.exception("payment %s: not sent after the request; the worker sends it", payment_id)


class PaymentWorker(PollingWorker):
    """Runs ``run_once`` every ``settlement_poll_s`` (``marketplace/workers.py``)."""

    name = "payments"

    def __init__(self, engine: Engine, settings: Settings, *, holder: str | None = None) -> None:
        super().__init__(settings.settlement_poll_s)
        self.engine = engine
        self.settings = settings
        self.holder = holder or holder_name(self)

    def poll_once(self) -> bool:
        run = run_once(self.engine, self.settings, holder=self.holder)
        return len(run.sent) >= limits.books_payments_per_step_max


def attach_payments(runtime: Runtime, *, start_worker: bool | None = None) -> None:
    """Start the payments worker in this process when ``worker_in_process`` (or
    ``start_worker``) says so, and stop it at shutdown."""
    attach_worker(runtime, lambda: PaymentWorker(runtime.engine, runtime.settings), start_worker)
