"""Structured logs with a request id, and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TextIO

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketplace.redaction import scrubbed

if TYPE_CHECKING:
    from ledger.progress import AnchoringProgress

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
REQUEST_ID_HEADER = "x-request-id"
REQUEST_ID_LENGTH_MAX = 128

log = logging.getLogger("databourse")
# Metric labels come from closed sets, so that no client can grow /metrics: any other method is
# counted as "other", and a path no route matched as "unmatched".
METHOD_LABELS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Every logger of ours sits under one of these (modules log as ``logging.getLogger(__name__)``).
LOGGER_ROOTS = ("databourse", "marketplace", "ledger")


# Path parameters that are bearer capabilities (a signed download URL's token): a request line
# names the route instead of the path, so that no log holds a working URL.
SECRET_PATH_PARAMS = frozenset({"token"})


def loggable_path(scope: Scope, template: str) -> str | None:
    """The request's path, or its route's template when a path parameter is a secret."""
    params = scope.get("path_params") or {}
    if SECRET_PATH_PARAMS.intersection(params):
        return template
    path: str | None = scope.get("path")
    return path


class JsonFormatter(logging.Formatter):
    """One JSON object per line, carrying the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            doc["request_id"] = request_id
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            doc.update(extra)
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time of the record (test capture, daemons)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def configure_logging(level: str, json_lines: bool, secrets: Iterable[str] = ()) -> None:
    """Our loggers write to stderr at ``level``; any of ``secrets`` in a line (message or
    traceback) is written as ``***`` (marketplace/redaction.py)."""
    handler = _StderrHandler()
    formatter = (
        JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s %(message)s")
    )
    handler.setFormatter(_Scrubbing(formatter, tuple(secrets)))
    for name in LOGGER_ROOTS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


class _Scrubbing(logging.Formatter):
    """Formats with ``inner``, then replaces every secret in the line."""

    def __init__(self, inner: logging.Formatter, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return scrubbed(self.inner.format(record), self.secrets)


class Metrics:
    """The service's metrics, on a registry of its own so that several apps can live in one
    process (tests)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "databourse_http_requests",
            "HTTP requests served",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "databourse_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
        )
        # Ledger gauges: set from the database at each scrape (observe_ledger), so they are
        # right whichever process appends or anchors.
        self.journal_last_seq = Gauge(
            "databourse_journal_last_seq", "Seq of the newest journal entry", registry=self.registry
        )
        self.anchor_last_anchored_seq = Gauge(
            "databourse_anchor_last_anchored_seq",
            "Last seq of the newest batch mined on chain",
            registry=self.registry,
        )
        self.anchor_lag_entries = Gauge(
            "databourse_anchor_lag_entries",
            "Journal entries not yet in a mined batch",
            registry=self.registry,
        )
        self.anchor_batches = Gauge(
            "databourse_anchor_batches",
            "Anchor batches by status (pending, sent, confirmed)",
            ["status"],
            registry=self.registry,
        )
        self.anchor_oldest_unanchored_age_seconds = Gauge(
            "databourse_anchor_oldest_unanchored_age_seconds",
            "Age of the oldest journal entry not yet in a mined batch (0 when none)",
            registry=self.registry,
        )

    def observe_ledger(self, progress: AnchoringProgress) -> None:
        """Set the ledger gauges (called by GET /metrics before rendering)."""
        self.journal_last_seq.set(progress.journal_last_seq)
        self.anchor_last_anchored_seq.set(progress.last_anchored_seq)
        self.anchor_lag_entries.set(progress.lag_entries)
        for status, count in progress.batches.items():
            self.anchor_batches.labels(status).set(count)
        self.anchor_oldest_unanchored_age_seconds.set(progress.oldest_unanchored_age_s)


class RequestContextMiddleware:
    """Gives each request an id (echoing a sane client-sent one), logs one line per request
    and records its metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or [])
        incoming = sent.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        ok = 0 < len(incoming) <= REQUEST_ID_LENGTH_MAX and incoming.isprintable()
        request_id = incoming if ok else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope.get("method", "")
            method_label = method if method in METHOD_LABELS else "other"
            self.metrics.http_requests.labels(method_label, template, str(status)).inc()
            self.metrics.http_seconds.labels(method_label, template).observe(elapsed)
            log.info(
                "request",
                extra={
                    "fields": {
                        "method": method,
                        "path": loggable_path(scope, template),
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    }
                },
            )
            request_id_var.reset(token)
