"""A form that moves money is answered once per form: the page renders a fresh idempotency key
into a hidden field (``idempotency_key``), and ``once`` runs the form's action under it with the
same claim and answer steps as the API's ``@idempotent`` (``marketplace.idempotency``).

A resubmitted form (a double click, the back button, a retry after a lost answer) finds the key
answered and is sent where the first submission went; its money moved once. A refused action
(a domain error) is rolled back with its claim, so nothing of it stays; the form shows the
message and renders a new key."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Mapping

from sqlmodel import Session

from ledger.models import utc_now
from marketplace import limits
from marketplace.idempotency import service
from marketplace.idempotency.errors import IdempotencyKeyInvalid
from marketplace.principal import Principal

FIELD = "idempotency_key"
_VISIBLE_ASCII = frozenset(range(0x21, 0x7F))
_KEY_BYTES = 24


def new_key() -> str:
    """A key for one rendering of a form."""
    return secrets.token_urlsafe(_KEY_BYTES)


def _checked(key: str) -> str:
    raw = key.encode("latin-1", errors="replace")
    if not 1 <= len(raw) <= limits.idempotency_key_chars_max or not set(raw) <= _VISIBLE_ASCII:
        raise IdempotencyKeyInvalid("this form has no valid key; reload the page and try again")
    return key


def _digest(fields: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(dict(fields), sort_keys=True).encode()).hexdigest()


def once(
    session: Session,
    principal: Principal,
    *,
    route: str,
    key: str,
    fields: Mapping[str, str],
    ttl_s: int,
    action: Callable[[], str],
) -> str:
    """Run ``action`` (which returns the local path to go to next) once for ``key``; the path
    the first run returned when the key was answered before. Commits the session once: the
    claim, the action's work and its answer (a second submission of the key waits for the
    first's transaction, then finds its answer). Raises what ``action`` raises, after rolling
    its work and the claim back; ``IdempotencyKeyReused`` (422) for the same key sent with
    other fields."""
    org_id = principal.account.organization_id
    request = service.KeyedRequest(org_id, route, _checked(key), _digest(fields))
    outcome = service.claim(session, request, now=utc_now(), ttl_s=ttl_s)
    if isinstance(outcome, service.StoredResponse):
        session.rollback()  # the claim found the answer and wrote nothing
        return outcome.headers["location"]
    try:
        location = action()
        service.answer(session, outcome, service.StoredResponse(303, {"location": location}, b""))
        session.commit()  # the claim, the action's work and its answer, together
    except BaseException:
        session.rollback()  # the claim with the rest: the key is free for a new attempt
        raise
    return location
