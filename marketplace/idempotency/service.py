"""Claiming an idempotency key, storing the answer, releasing a failed attempt's claim.
The steps of the protocol (``marketplace.idempotency.route`` runs them and commits); nothing
here commits."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from ledger.models import as_utc
from marketplace import limits
from marketplace.idempotency import repository
from marketplace.idempotency.errors import IdempotencyInFlight, IdempotencyKeyReused
from marketplace.idempotency.models import CLAIM_TOKEN_HEX_LENGTH, IdempotencyRecord


@dataclass(frozen=True)
class KeyedRequest:
    """A request under an idempotency key: whose key (``organization_id``) on which route
    (``"POST /orders"``), and the SHA-256 of what was asked (path, query and body)."""

    organization_id: int
    route: str
    key: str
    request_sha256: str


@dataclass(frozen=True)
class Claim:
    """The right of one attempt to run the handler and answer under a key."""

    record_id: int
    token: str


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def claim(
    session: Session, request: KeyedRequest, *, now: datetime, ttl_s: int
) -> Claim | StoredResponse:
    """Step 1. Take the key for this attempt (a new key, an expired one, or one whose in-flight
    claim went stale: its attempt crashed), or return the answer stored under it.

    Raises ``IdempotencyKeyReused`` (422) if the key came with a different request, and
    ``IdempotencyInFlight`` (409) while another attempt holds it."""
    org, route, key = request.organization_id, request.route, request.key
    token = secrets.token_hex(CLAIM_TOKEN_HEX_LENGTH // 2)
    new = repository.NewKey(
        organization_id=org, route=route, key=key, request_sha256=request.request_sha256,
        claim_token=token, claimed_at=now, expires_at=now + timedelta(seconds=ttl_s),
    )  # fmt: skip
    record_id = repository.insert_if_absent(session, new)
    if record_id is None and repository.delete_expired_key(session, org, route, key, now):
        record_id = repository.insert_if_absent(session, new)  # the expired key is new again
    if record_id is not None:
        return Claim(record_id, token)
    held = repository.get_by_key(session, org, route, key)
    if held is None or held.id is None:  # answered and purged between the two statements
        raise IdempotencyInFlight("this key was in use a moment ago; retry", retry_after_s=1)
    if held.request_sha256 != request.request_sha256:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different request; use a new key for a new request"
        )
    if held.response_status is not None:
        return _stored(held)
    stale_at = as_utc(held.claimed_at) + timedelta(seconds=limits.idempotency_claim_stale_s)
    if now >= stale_at and repository.take_over(session, held.id, held.claim_token, token, now):
        return Claim(held.id, token)
    raise IdempotencyInFlight(
        "a request with this Idempotency-Key is still being processed; retry in a moment to get "
        "its answer",
        retry_after_s=1,
    )


def purge_expired(session: Session, now: datetime) -> int:
    """Delete a bounded batch of expired keys (the oldest first); how many."""
    return repository.purge_expired(session, now, limits.idempotency_purge_rows_max)


def answer(session: Session, claim: Claim, response: StoredResponse) -> None:
    """Step 3, in the handler's own transaction: store the answer under the key. Raises
    ``IdempotencyInFlight`` if the claim went stale and another attempt took the key over; the
    caller then rolls back, so that only one attempt's work is ever committed."""
    headers = json.dumps(response.headers, sort_keys=True)
    stored = repository.answer(
        session, claim.record_id, claim.token,
        status=response.status, headers=headers, body=response.body,
    )  # fmt: skip
    if not stored:
        raise IdempotencyInFlight(
            "another request with this Idempotency-Key took it over; nothing was done by this one",
            retry_after_s=1,
        )


def _stored(record: IdempotencyRecord) -> StoredResponse:
    assert record.response_status is not None
    headers: dict[str, str] = json.loads(record.response_headers or "{}")
    return StoredResponse(record.response_status, headers, record.response_body or b"")
