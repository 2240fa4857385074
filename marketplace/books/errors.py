"""Books errors, each with its HTTP status and a stable code."""

from __future__ import annotations

from marketplace.errors import (
    Conflict,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
)


class InsufficientFunds(Conflict):
    """The debited account holds less than the amount; nothing was written."""

    code = "insufficient_funds"


class HoldNotFound(NotFound):
    code = "hold_not_found"


class HoldStateConflict(Conflict):
    """The hold lifecycle's 409: the event is not allowed in the hold's state."""

    code = "hold_state"


class TransferIdReused(Conflict):
    """A transfer id already names a transfer with other fields."""

    code = "transfer_id_reused"


class InvalidAmount(Unprocessable):
    """Not a positive integer amount of minor units within 2**63-1, or one that would carry a
    balance past it."""

    code = "invalid_amount"


class UnknownCurrency(Unprocessable):
    code = "unknown_currency"


class InvalidTransfer(Unprocessable):
    """A transfer id or reference that is not well formed, or a fee larger than the hold."""

    code = "invalid_transfer"


class PaymentNotFound(NotFound):
    code = "payment_not_found"


class WebhookSignatureInvalid(Unauthorized):
    code = "webhook_signature_invalid"


class InvalidWebhook(Unprocessable):
    code = "invalid_webhook"


class WebhookInFlight(Conflict):
    code = "webhook_in_flight"


class PaymentsUnavailable(ServiceUnavailable):
    """The exchange cannot move money in or out: in production, its payment provider is the
    simulated bank, which would credit money no bank moved."""

    code = "payments_unavailable"
