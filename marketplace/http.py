"""HTTP edge: error responses, body-size and JSON-nesting limits, security headers."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketplace import limits
from marketplace.errors import DatabourseError, Unprocessable
from marketplace.json_depth import lone_surrogate, nesting_exceeds

log = logging.getLogger("databourse.http")

DATABASE_RETRY_AFTER_S = 1

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class ErrorBody(BaseModel):
    """Every error response: a stable machine-readable code and what to do about it."""

    error: str
    message: str


# Declared on every route in the OpenAPI document (FastAPI's own 422 shape is never sent).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "Bad request"),
        (401, "Not signed in, or the token is expired or revoked"),
        (403, "Signed in, but not allowed"),
        (404, "No such resource, or not visible to the caller"),
        (409, "Conflicts with the current state"),
        (413, "Body over the limit"),
        (422, "Invalid input; the message names the field"),
        (429, "Too many attempts"),
    )
}


# The same for routes whose success is not JSON (HTML pages): their errors still are.
JSON_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": spec["description"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for status, spec in ERROR_RESPONSES.items()
}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


# pydantic puts these before the message of a ValueError or assert raised in a validator.
_LIBRARY_PREFIXES = ("Value error, ", "Assertion failed, ")


def _message(err: Mapping[str, Any]) -> str:
    msg = str(err.get("msg", "invalid"))
    for prefix in _LIBRARY_PREFIXES:
        msg = msg.removeprefix(prefix)
    return msg


def _describe_validation(exc: RequestValidationError) -> str:
    parts: list[str] = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        kind = err.get("type", "")
        if kind == "json_invalid":
            return "the request body is not valid JSON"
        if kind == "extra_forbidden":
            parts.append(f"unknown field '{loc}'")
        elif kind == "missing":
            parts.append(f"'{loc}' is required")
        else:
            parts.append(f"'{loc}': {_message(err)}" if loc else _message(err))
    return "; ".join(parts) or "the request is invalid"


# A JSON string escape for U+0000 that is not itself an escaped backslash.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


_UTF8 = frozenset({"utf-8", "utf-8-sig"})  # json.detect_encoding's names for UTF-8


def _read_as_json(scope: Scope) -> bool:
    """Whether FastAPI would parse the body as JSON: no Content-Type, or a JSON one (a raw file
    sent as ``text/csv``, such as a copy to trace, is not JSON and may be in any encoding)."""
    headers = dict(scope.get("headers") or [])
    media = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    return not media or media == b"application/json" or media.endswith(b"+json")


def text_guard(exempt_prefixes: tuple[str, ...]) -> Callable[[Request], Awaitable[None]]:
    """A dependency for every route: text in a request may not contain U+0000, nor (in a JSON
    body) a lone UTF-16 surrogate. PostgreSQL cannot store the first, nothing can encode the
    second as UTF-8, and no field of this API means either. Query strings and JSON bodies are
    checked; raw upload bodies under ``exempt_prefixes`` are not."""

    async def reject_bad_text(request: Request) -> None:
        if any("\0" in k or "\0" in v for k, v in request.query_params.multi_items()):
            raise Unprocessable("query parameters may not contain NUL characters (U+0000)")
        if _exempt(request.url.path, exempt_prefixes):
            return
        body = await request.body()
        if _JSON_NUL.search(body):
            raise Unprocessable("text in the request body may not contain NUL characters (U+0000)")
        if _read_as_json(request.scope) and lone_surrogate(body):
            raise Unprocessable(
                "text in the request body may not contain a lone UTF-16 surrogate "
                "(\\uD800 to \\uDFFF outside a pair)"
            )

    return reject_bad_text


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DatabourseError)
    async def _domain(_: Request, exc: DatabourseError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(OperationalError)
    async def _database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        if not _is_transient(exc):
            return await _unexpected(request, exc)
        log.warning("database unavailable", exc_info=exc)
        return error_response(
            503,
            "database_unavailable",
            "the database is busy or unreachable; nothing was changed, try again in a moment",
            {"Retry-After": str(DATABASE_RETRY_AFTER_S)},
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", _describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = "no such resource: check the path against the API docs at /docs"
        headers = exc.headers
        if exc.status_code == 405:
            # RFC 9110: Allow lists every method of the path. Starlette names only the first
            # route that matched it (GET /assets and POST /assets are two routes).
            allowed = _allowed_methods(app.router.routes, request.url.path)
            headers = {**(headers or {}), "Allow": ", ".join(sorted(allowed))}
        return error_response(exc.status_code, code, message, headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        return error_response(
            500, "internal", "an internal error occurred; nothing was changed, try again later"
        )


def _allowed_methods(routes: Iterable[BaseRoute], path: str) -> set[str]:
    """The methods of every route whose path pattern matches ``path`` (included routers too)."""
    allowed: set[str] = set()
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's lazily included router
        if included is not None:
            allowed |= _allowed_methods(included.routes, path)
        pattern = getattr(route, "path_regex", None)
        methods = getattr(route, "methods", None)
        if pattern is not None and methods and pattern.match(path):
            allowed |= set(methods)
    return allowed


def _is_transient(exc: OperationalError) -> bool:
    """SQLite's "database is locked" (its busy timeout ran out), or any PostgreSQL operational
    error (connection lost, lock timeout, deadlock, serialisation failure): the transaction was
    rolled back, and the same request may succeed a moment later. SQLite's other operational
    errors ("no such table") are bugs, not weather."""
    if isinstance(exc.orig, sqlite3.OperationalError):
        return "locked" in str(exc.orig) or "busy" in str(exc.orig)
    return True


def _exempt(path: str, exempt_prefixes: tuple[str, ...]) -> bool:
    return bool(exempt_prefixes) and path.startswith(exempt_prefixes)


def _applies(scope: Scope, exempt_prefixes: tuple[str, ...]) -> bool:
    """Whether a body-checking middleware looks at this request (HTTP, outside the exemptions)."""
    return scope["type"] == "http" and not _exempt(str(scope.get("path", "")), exempt_prefixes)


class BodySizeLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with a 413 before the route sees them.

    Uploads with a larger limit of their own are mounted under ``exempt_prefixes`` and enforce
    it while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _applies(scope, self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                await self._refuse(send)
                return
        seen = 0
        refused = False
        replaced = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Stop reading; whatever the app answers is replaced by the 413 below.
                    refused = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal replaced
            if not refused:
                await send(message)
            elif not replaced:
                replaced = True
                await self._refuse(send)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise
        if refused and not replaced:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "error": "payload_too_large",
                "message": f"the request body is over the limit of {self.max_bytes} bytes",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


class ContentEncodingMiddleware:
    """Refuses a request body sent with a ``Content-Encoding`` (gzip, deflate, br, ...) with a
    415 and ``Accept-Encoding: identity`` (RFC 7694), before the route reads a byte. Nothing here
    inflates request bodies, so none can be a decompression bomb, and a compressed upload is
    never stored as though it were the file; clients send bodies as they are."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            codings = [
                value.decode("latin-1").strip().lower()
                for name, value in scope.get("headers") or []
                if name.lower() == b"content-encoding"
            ]
            if any(c not in {"", "identity"} for c in codings):
                refusal = error_response(
                    415,
                    "unsupported_content_encoding",
                    f"request bodies are taken as they are, not with Content-Encoding "
                    f"{', '.join(codings)!r}; send the body uncompressed",
                    {"Accept-Encoding": "identity"},
                )
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


class JsonDepthLimitMiddleware:
    """Refuses a request body that nests arrays and objects more than ``depth_max`` deep, with a
    400 ``json_too_deep``, before any JSON parser sees it (see ``marketplace.json_depth``); and
    a JSON one (``_read_as_json``) in UTF-16 or UTF-32, with a 400 ``body_not_utf8``: RFC 8259
    has JSON exchanged in UTF-8,
    and the checks made on a body's bytes (its depth here, NUL in ``text_guard``) read UTF-8,
    while Python's parser would read the others too.

    Every body outside ``exempt_prefixes`` is measured, whatever its Content-Type: FastAPI parses
    a body without one as JSON too. It runs inside ``BodySizeLimitMiddleware``, so the body it
    holds is never over the body limit. Raw uploads under ``exempt_prefixes`` are never held."""

    def __init__(self, app: ASGIApp, depth_max: int, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.depth_max = depth_max
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _applies(scope, self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        pieces: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left, or the body went over the size limit (a 413 follows)
            pieces.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(pieces)
        refusal = None
        if nesting_exceeds(body, self.depth_max):
            refusal = error_response(
                400,
                "json_too_deep",
                f"the request body nests arrays and objects more than {self.depth_max} deep",
            )
        elif body and _read_as_json(scope) and json.detect_encoding(body) not in _UTF8:
            refusal = error_response(
                400,
                "body_not_utf8",
                "send the request body in UTF-8 (RFC 8259); this one reads as UTF-16 or UTF-32",
            )
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


# Sent with every response that does not set its own. The policy lets nothing load but inline
# styles and images from this origin (what the HTML pages use); JSON needs nothing at all.
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
# A download of a revision's bytes: never a page of this origin, whatever its media type.
DOWNLOAD_HEADERS: Mapping[str, str] = {
    "Content-Disposition": "attachment",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
}


# Sent only when the exchange is served over TLS (``public_url`` is https://): a browser then
# refuses plain HTTP to this host for a year. Never over plain HTTP, where it means nothing and a
# development host would be pinned to TLS it does not have. No includeSubDomains: other hosts
# under the same domain are the operator's to decide.
HSTS_HEADER = ("Strict-Transport-Security", f"max-age={limits.hsts_max_age_s}")


def served_over_tls(public_url: str) -> bool:
    return public_url.lower().startswith("https://")


class SecurityHeadersMiddleware:
    """Adds ``SECURITY_HEADERS`` (``csp_by_path`` for the paths it names) to every response,
    keeping any header a route set itself, such as a download's sandboxing policy; and
    ``HSTS_HEADER`` when ``hsts``."""

    def __init__(
        self, app: ASGIApp, csp_by_path: Mapping[str, str] | None = None, *, hsts: bool = False
    ) -> None:
        self.app = app
        headers = dict(SECURITY_HEADERS)
        if hsts:
            headers[HSTS_HEADER[0]] = HSTS_HEADER[1]
        self.defaults = {k.lower().encode(): v.encode() for k, v in headers.items()}
        self.csp_by_path = {path: csp.encode() for path, csp in (csp_by_path or {}).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        defaults = dict(self.defaults)
        csp = self.csp_by_path.get(str(scope.get("path", "")))
        if csp is not None:
            defaults[b"content-security-policy"] = csp

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in defaults.items() if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
