"""The payment-provider interface, and the simulated bank that implements it for development.

A provider starts deposits (money coming in from the organisation's bank) and withdrawals
(money going out to it). The books call it only after the transaction that recorded the payment
has committed (``payment_job.py``), never inside one, and always with the payment's
``idempotency_key``: a provider must treat a repeated key as the same payment and answer it as
it did the first time, so a call retried after a timeout never moves money twice.

``start`` answers with the provider's own reference and an outcome: ``confirmed`` (the money
moved), ``accepted`` (it will confirm or fail later, through the webhook) or ``failed`` (a
definitive refusal: the money did not move and never will). ``status`` asks again about a
payment the provider accepted: the same outcomes, ``accepted`` while it is still processing, so
a payment whose webhook event never comes is settled all the same. Anything else, an exception
included, means the outcome is unknown (a timeout, a dropped connection, a 5xx): the books keep
the payment as it is and call again later with the same key. A provider that confirms later
calls the exchange's webhook (``POST /payments/webhook``) with a signed event;
``webhook_signature`` is the recipe both sides use. A real provider implements
``PaymentProvider`` and is named by ``DATABOURSE_PAYMENT_PROVIDER``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Protocol

from marketplace.notifications import signing

TIMESTAMP_HEADER = "Databourse-Payment-Timestamp"
SIGNATURE_HEADER = "Databourse-Payment-Signature"
#: How far an event's timestamp may stray from the exchange's clock, in either direction.
TOLERANCE_S = signing.TOLERANCE_S

Direction = Literal["deposit", "withdrawal"]


class ProviderOutcome(StrEnum):
    confirmed = "confirmed"
    accepted = "accepted"
    failed = "failed"
    returned = "returned"  # a withdrawal paid out and sent back by the beneficiary's bank


@dataclass(frozen=True)
class ProviderAnswer:
    provider_ref: str
    outcome: ProviderOutcome
    reason: str = ""


class ProviderUnavailable(Exception):
    """The call's outcome is unknown (timeout, connection lost, the provider's 5xx): the
    payment may or may not have moved. Call again with the same idempotency key."""


class PaymentProvider(Protocol):
    """What the books ask of a payment provider."""

    @property
    def name(self) -> str: ...

    def start(
        self, direction: Direction, *, idempotency_key: str, amount_minor: int, currency: str
    ) -> ProviderAnswer: ...

    def status(self, direction: Direction, *, provider_ref: str) -> ProviderAnswer:
        """Where the payment ``provider_ref`` (its answer to ``start``) stands now. Raises, as
        ``start`` does, when the provider cannot say for sure."""
        ...


@dataclass
class SimulatedPayment:
    """What the simulated bank did for one idempotency key: the payment it executed once, its
    answer, and how many calls named the key."""

    direction: Direction
    amount_minor: int
    currency: str
    answer: ProviderAnswer
    calls: int = 1


@dataclass
class SimulatedLedger:
    """The simulated bank's own memory of payments by idempotency key (per process, as the bank
    exists only here). Thread-safe: concurrent calls with one key execute it once."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _payments: dict[str, SimulatedPayment] = field(default_factory=dict)

    def execute(
        self, key: str, direction: Direction, amount_minor: int, currency: str,
        answer: ProviderAnswer,
    ) -> tuple[SimulatedPayment, bool]:  # fmt: skip
        """The payment under ``key`` (executed now unless it was), and whether this call was
        the first. A key reused for another payment is refused, as real providers do."""
        with self._lock:
            found = self._payments.get(key)
            if found is None:
                found = SimulatedPayment(direction, amount_minor, currency, answer)
                self._payments[key] = found
                return found, True
            if (found.direction, found.amount_minor, found.currency) != (
                direction,
                amount_minor,
                currency,
            ):
                raise ValueError(f"idempotency key {key!r} already names another payment")
            found.calls += 1
            return found, False

    def payment(self, key: str) -> SimulatedPayment | None:
        with self._lock:
            return self._payments.get(key)

    def decide(self, key: str, outcome: ProviderOutcome, reason: str = "") -> None:
        """The bank settles a payment it accepted: ``status`` answers ``outcome`` from now on
        (its webhook event is for the caller to send). A final answer is never changed."""
        with self._lock:
            found = self._payments[key]
            if found.answer.outcome != ProviderOutcome.accepted:
                raise ValueError(f"payment {key!r} is already {found.answer.outcome}")
            found.answer = ProviderAnswer(found.answer.provider_ref, outcome, reason)


#: The simulated bank's memory, shared by every ``SimulatedBank`` of this process.
SIMULATED_LEDGER = SimulatedLedger()

CLOSED_ACCOUNT = "the beneficiary's account is closed"
SimulatedMode = Literal["instant", "deferred", "failing", "timeout"]
_NAMES: dict[SimulatedMode, str] = {
    "instant": "simulated",
    "deferred": "simulated_deferred",
    "failing": "simulated_failing",
    "timeout": "simulated_timeout",
}


@dataclass(frozen=True)
class SimulatedBank:
    """A bank that exists only here, for development and tests; ``mode``:

    - ``instant`` (``simulated``): every payment is confirmed at once;
    - ``deferred`` (``simulated_deferred``): every payment is accepted and confirmed (or failed)
      later (``SimulatedLedger.decide``), learned by the bank's webhook event or a ``status``
      poll, as with a real provider;
    - ``failing`` (``simulated_failing``): deposits are confirmed, every withdrawal is refused
      for good (the beneficiary's account is closed);
    - ``timeout`` (``simulated_timeout``): confirms every payment, but the answer to the first
      call of each key is lost (``ProviderUnavailable``) after the bank executed it: only a
      retry with the same key learns it was paid, and it is paid once.
    """

    mode: SimulatedMode = "instant"
    ledger: SimulatedLedger = field(default_factory=lambda: SIMULATED_LEDGER, compare=False)

    @property
    def name(self) -> str:
        return _NAMES[self.mode]

    def start(
        self, direction: Direction, *, idempotency_key: str, amount_minor: int, currency: str
    ) -> ProviderAnswer:
        assert amount_minor > 0
        ref = f"sim-{idempotency_key}"
        if self.mode == "deferred":
            answer = ProviderAnswer(ref, ProviderOutcome.accepted)
        elif self.mode == "failing" and direction == "withdrawal":
            answer = ProviderAnswer(ref, ProviderOutcome.failed, CLOSED_ACCOUNT)
        else:
            answer = ProviderAnswer(ref, ProviderOutcome.confirmed)
        done, first = self.ledger.execute(
            idempotency_key, direction, amount_minor, currency, answer
        )
        if first and self.mode == "timeout":
            raise ProviderUnavailable("the simulated bank did not answer in time")
        return done.answer

    def status(self, direction: Direction, *, provider_ref: str) -> ProviderAnswer:
        """The payment's answer now: ``accepted`` until the bank decides it (``decide``). A
        reference this process's bank never gave out is an unknown outcome."""
        found = self.ledger.payment(provider_ref.removeprefix("sim-"))
        if found is None or found.direction != direction:
            raise ProviderUnavailable(f"the simulated bank has no payment {provider_ref!r}")
        return found.answer


PROVIDER_NAMES: tuple[str, ...] = tuple(_NAMES.values())


def is_simulated(name: str) -> bool:
    """Whether ``name`` is one of the simulated bank's modes: it confirms payments that no bank
    made, so a production exchange takes no money through it (``payments.request_payment``)."""
    return name in _NAMES.values()


def provider_named(name: str) -> PaymentProvider:
    for mode, known in _NAMES.items():
        if known == name:
            return SimulatedBank(mode)
    raise ValueError(f"no payment provider {name!r}")


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=`` + hex HMAC-SHA256(secret, f"{timestamp}." + body), as notifications sign."""
    return signing.signature(secret, timestamp, body)


def webhook_verified(secret: str, timestamp: str, body: bytes, header: str, now_s: float) -> bool:
    return signing.verify(secret, timestamp, body, header, now_s)
