"""What an idempotency key can be refused for (the IETF draft "The Idempotency-Key HTTP Header
Field" picks the same statuses)."""

from __future__ import annotations

from marketplace.errors import BadRequest, Conflict, Unprocessable


class IdempotencyKeyRequired(BadRequest):
    code = "idempotency_key_required"


class IdempotencyKeyInvalid(BadRequest):
    code = "idempotency_key_invalid"


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"


class IdempotencyInFlight(Conflict):
    code = "idempotency_in_flight"
