"""``@idempotent``: a route that moves money answers each ``Idempotency-Key`` once.

Use it under the route decorator; the endpoint stays a plain ``def``::

    @router.post("/orders", status_code=201)
    @idempotent
    def place_order(
        body: OrderCreate, principal: VerifiedBuyer, session: SessionDep
    ) -> OrderPublic:
        return service.place(session, principal, ...)

The request must carry ``Idempotency-Key`` (1 to 255 visible ASCII characters: 400 otherwise).
A key belongs to the caller's organisation and the route: another organisation's identical key
is another key. The endpoint must take the caller (a ``Principal`` dependency, such as
``VerifiedBuyer``) and ``SessionDep`` (the request's session, which this commits) and must not
commit it itself.

Protocol (docs/api.md#idempotency); the request's one transaction holds steps 1 to 3:

1. Claim: insert the key's record. The unique key ``(organization, route, key)`` lets one
   concurrent insert in; another attempt of the same key waits for that one's transaction to
   end (PostgreSQL waits on the uncommitted key; SQLite runs one writer at a time) and then
   finds its answer, which is replayed with ``Idempotent-Replayed: true`` without running the
   handler; or finds the key claimed for another request (422 ``idempotency_key_reused``); or
   finds it abandoned in flight by a server that died (409 ``idempotency_in_flight``).
2. Run the handler.
3. Answer: the rendered response (status, headers, body) is stored under the claim, and one
   commit writes the claim, the money's movement and the stored answer: a crash before the
   commit leaves none of them, after it all. Only the claim's holder can store (a conditional
   UPDATE), so an attempt whose claim was taken over rolls back instead of moving money a
   second time. A 4xx domain error is an answer too: the handler's work and the claim are
   rolled back, and the key is claimed again with the error as its answer, in a transaction
   of its own, since the same request would be refused the same way (as Stripe does).
4. Anything else (a 5xx; a 401, 403, 408 or 429; a refusal sent with ``Retry-After``; a crash
   of the code, or of the commit in step 3) rolls the whole attempt back, claim and all, so a
   retry with the same key runs afresh. A claim committed without an answer (one of a version
   that committed claims on their own, whose server died) goes stale after
   ``limits.idempotency_claim_stale_s`` and the next retry takes it over.

Keys live ``settings.idempotency_key_ttl_s`` (24 h), then are purged lazily: an expired key is
replaced when it is sent again, and every ``limits.idempotency_purge_interval_s`` each process's
next claim also deletes a bounded batch of expired records.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from sqlmodel import Session

from ledger.models import utc_now
from marketplace import limits
from marketplace.deps import runtime_of
from marketplace.errors import DatabourseError
from marketplace.http import error_response
from marketplace.idempotency import service
from marketplace.idempotency.errors import IdempotencyKeyInvalid, IdempotencyKeyRequired
from marketplace.principal import Principal

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_VISIBLE_ASCII = frozenset(range(0x21, 0x7F))
_PARAMETER = "idempotency_"  # the wrapper's own parameter; endpoints never see it
# Answers that say nothing final about the request are not stored: the retry runs afresh. A
# 401 or 403 refuses the caller, not the request: the key is the organisation's, and another of
# its accounts, or the same one once verified, may send it.
_NOT_FINAL_STATUSES = frozenset({401, 403, 408, 429})
_NOT_STORED_HEADERS = frozenset({"content-length"})


class _PurgeClock:
    """When this process next purges expired keys: every ``idempotency_purge_interval_s``, in
    the claim's transaction of the first request after that (no thread, no job to run)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_s = 0.0

    def due(self) -> bool:
        with self._lock:
            now_s = time.monotonic()
            if now_s < self._next_s:
                return False
            self._next_s = now_s + limits.idempotency_purge_interval_s
            return True


_purge_clock = _PurgeClock()


@dataclass(frozen=True)
class _Keyed:
    key: str
    request_sha256: str


async def _keyed(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="Required. 1 to 255 visible ASCII characters, unique per request you "
            "mean to make once (a UUID does); a retry sends the same key and gets the first "
            "answer. Kept 24 h, per organisation and route.",
        ),
    ] = None,
) -> _Keyed:
    """The key, checked, and the SHA-256 of what is asked (method, path, query, and the body:
    JSON with its keys sorted and whitespace dropped, so a client that re-serialises the same
    object is not refused). Async only to read the body; nothing here blocks."""
    if idempotency_key is None:
        raise IdempotencyKeyRequired(
            f"this request moves money: send an {HEADER} header (a new UUID per request, the "
            "same one when you retry it)"
        )
    raw = idempotency_key.encode("latin-1", errors="replace")
    if not 1 <= len(raw) <= limits.idempotency_key_chars_max or not set(raw) <= _VISIBLE_ASCII:
        raise IdempotencyKeyInvalid(
            f"{HEADER} must be 1 to {limits.idempotency_key_chars_max} visible ASCII characters "
            "(no spaces)"
        )
    body = await request.body()
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except ValueError:  # not JSON (or not UTF-8): the bytes as they came
        canonical = body
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), request.url.query.encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    digest.update(canonical)
    return _Keyed(idempotency_key, digest.hexdigest())


@dataclass(frozen=True)
class Idempotency:
    """What ``@idempotent`` needs to run one request under its key."""

    session: Session
    request: service.KeyedRequest
    ttl_s: int
    status_code: int
    response_model: Any

    def run(self, handler: Callable[[], Any]) -> Response:
        """Steps 1 to 4 of the module's protocol around ``handler``."""
        now = utc_now()
        if _purge_clock.due():
            service.purge_expired(self.session, now)
            self.session.commit()  # a purge is a short transaction of its own
        outcome = service.claim(self.session, self.request, now=now, ttl_s=self.ttl_s)
        if isinstance(outcome, service.StoredResponse):
            self.session.rollback()  # the claim found the answer and wrote nothing
            return _replay(outcome)
        try:
            response = self._render(handler())
        except DatabourseError as exc:
            self.session.rollback()  # the attempt and its claim: nothing of them stays
            if not _final(exc):
                raise
            return self._refused(error_response(exc.status, exc.code, exc.message, exc.headers))
        except BaseException:
            self.session.rollback()
            raise
        return self._answered(outcome, response)  # step 3: the claim, the work, the answer

    def _answered(self, claim: service.Claim, response: Response) -> Response:
        """Store ``response`` under ``claim`` and commit the transaction that holds them."""
        try:
            service.answer(self.session, claim, _stored(response))
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise
        return response

    def _refused(self, refusal: Response) -> Response:
        """Step 3 for a refusal, after its attempt rolled back: claim the key again and store
        the refusal, in a transaction of their own. Another attempt of the same request that
        claimed the key meanwhile was waited for: its stored answer is the answer, to this
        attempt as to every retry."""
        outcome = service.claim(self.session, self.request, now=utc_now(), ttl_s=self.ttl_s)
        if isinstance(outcome, service.StoredResponse):
            self.session.rollback()
            return _replay(outcome)
        return self._answered(outcome, refusal)

    def _render(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        body = _adapter(self.response_model).dump_json(result, by_alias=True)
        return Response(body, self.status_code, media_type="application/json")


def _final(exc: DatabourseError) -> bool:
    """Whether a refusal is the request's answer for good, stored and replayed: not a 5xx, not
    one of ``_NOT_FINAL_STATUSES``, and not one sent with ``Retry-After`` (try again later)."""
    return exc.status < 500 and exc.status not in _NOT_FINAL_STATUSES and exc.retry_after_s is None


@dataclass(frozen=True)
class _Asked:
    """The key and what the route answers with; the caller and the session are the endpoint's
    own (``idempotent`` finds them among its arguments: a dependency of this one would be
    solved again by FastAPI, cached or not)."""

    keyed: _Keyed
    route: str
    ttl_s: int
    status_code: int
    response_model: Any


async def _asked(  # async: it reads nothing, so no worker thread is needed
    keyed: Annotated[_Keyed, Depends(_keyed)], request: Request
) -> _Asked:
    route = request.scope["route"]
    assert isinstance(route, APIRoute)
    return _Asked(
        keyed=keyed,
        route=f"{request.method} {route.path}",
        ttl_s=runtime_of(request).settings.idempotency_key_ttl_s,
        status_code=route.status_code or 200,
        response_model=route.response_model,
    )


def _parameter_of(hints: dict[str, Any], kind: type, endpoint: Callable[..., Any]) -> str:
    """The name of ``endpoint``'s one parameter that is a dependency giving a ``kind``."""
    names = [
        name
        for name, hint in hints.items()
        if get_origin(hint) is Annotated and get_args(hint)[0] is kind
    ]
    assert len(names) == 1, f"@idempotent {endpoint.__name__} takes one {kind.__name__}"
    return names[0]


def idempotent(endpoint: Callable[..., Any]) -> Callable[..., Response]:
    """Make a plain-``def`` endpoint answer each ``Idempotency-Key`` once (module docstring).

    The endpoint takes the caller (a ``Principal`` dependency) and ``SessionDep``; its signature
    gains one dependency (the key); its return annotation stays its response model in the API
    document."""
    assert not inspect.iscoroutinefunction(endpoint), "@idempotent takes a plain def endpoint"
    hints = get_type_hints(endpoint, include_extras=True)
    caller = _parameter_of(hints, Principal, endpoint)
    unit_of_work = _parameter_of(hints, Session, endpoint)
    signature = inspect.signature(endpoint)
    parameters = [
        p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()
    ]
    extra = inspect.Parameter(
        _PARAMETER,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Annotated[_Asked, Depends(_asked)],
    )

    @functools.wraps(endpoint)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        asked: _Asked = kwargs.pop(_PARAMETER)
        principal: Principal = kwargs[caller]
        idempotency = Idempotency(
            session=kwargs[unit_of_work],
            request=service.KeyedRequest(
                organization_id=principal.account.organization_id,
                route=asked.route,
                key=asked.keyed.key,
                request_sha256=asked.keyed.request_sha256,
            ),
            ttl_s=asked.ttl_s,
            status_code=asked.status_code,
            response_model=asked.response_model,
        )
        return idempotency.run(lambda: endpoint(*args, **kwargs))

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*parameters, extra],
        return_annotation=hints.get("return", signature.return_annotation),
    )
    return wrapper


@functools.lru_cache(maxsize=64)
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def _stored(response: Response) -> service.StoredResponse:
    headers = {
        name: value for name, value in response.headers.items() if name not in _NOT_STORED_HEADERS
    }
    return service.StoredResponse(response.status_code, headers, bytes(response.body))


def _replay(stored: service.StoredResponse) -> Response:
    headers = {**stored.headers, REPLAYED_HEADER: "true"}
    return Response(stored.body, stored.status, headers=headers)
