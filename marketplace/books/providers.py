"""The payment-provider interface, and the simulated bank that implements it for development.

A provider starts deposits (money coming in from the organisation's bank) and withdrawals
(money going out to it). It answers with its own reference for the payment and whether the
payment is already confirmed. A provider that confirms later calls the exchange's webhook
(``POST /payments/webhook``) with a signed event; ``webhook_signature`` is the recipe both sides
use. A real provider implements ``PaymentProvider`` and is named by ``DATABOURSE_PAYMENT_PROVIDER``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from marketplace.notifications import signing

TIMESTAMP_HEADER = "Databourse-Payment-Timestamp"
SIGNATURE_HEADER = "Databourse-Payment-Signature"
#: How far an event's timestamp may stray from the exchange's clock, in either direction.
TOLERANCE_S = signing.TOLERANCE_S


@dataclass(frozen=True)
class ProviderAnswer:
    provider_ref: str
    confirmed: bool


class PaymentProvider(Protocol):
    """What the books ask of a payment provider. ``payment_ref`` is the exchange's own unique
    name for the payment; a provider must treat a repeated one as the same payment."""

    @property
    def name(self) -> str: ...

    def start(
        self,
        direction: Literal["deposit", "withdrawal"],
        *,
        payment_ref: str,
        amount_minor: int,
        currency: str,
    ) -> ProviderAnswer: ...


@dataclass(frozen=True)
class SimulatedBank:
    """A bank that exists only here. ``instant``: every payment is confirmed at once;
    otherwise deposits wait for the bank's webhook event (withdrawals leave the books when
    asked for either way)."""

    instant: bool = True

    @property
    def name(self) -> str:
        return "simulated" if self.instant else "simulated_deferred"

    def start(
        self,
        direction: Literal["deposit", "withdrawal"],
        *,
        payment_ref: str,
        amount_minor: int,
        currency: str,
    ) -> ProviderAnswer:
        assert amount_minor > 0
        return ProviderAnswer(provider_ref=f"sim-{payment_ref}", confirmed=self.instant)


def provider_named(name: str) -> PaymentProvider:
    if name == "simulated":
        return SimulatedBank(instant=True)
    if name == "simulated_deferred":
        return SimulatedBank(instant=False)
    raise ValueError(f"no payment provider {name!r}")


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=`` + hex HMAC-SHA256(secret, f"{timestamp}." + body), as notifications sign."""
    return signing.signature(secret, timestamp, body)


def webhook_verified(secret: str, timestamp: str, body: bytes, header: str, now_s: float) -> bool:
    return signing.verify(secret, timestamp, body, header, now_s)
