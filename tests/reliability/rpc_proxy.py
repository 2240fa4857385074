"""A loopback JSON-RPC proxy in front of a real node that injects faults on request.

``FaultProxy(upstream)`` listens on 127.0.0.1 (a port the kernel picks: no race) and forwards
each JSON-RPC POST to ``upstream``. ``inject(fault, methods, count)`` arms the next ``count``
requests whose method is in ``methods`` (any method when None) with one of:

- ``stall``: hold the request without answering until the client gives up (its read timeout),
  then drop the connection: a slow node;
- ``error``: answer a JSON-RPC error (-32603 internal error) without forwarding;
- ``lose_reply``: forward the request, let the node act on it, then drop the connection
  instead of answering: a send that succeeded but whose reply was lost.

A node that is down is the upstream stopped: the proxy then drops each connection. Every fault
it injected is counted in ``injected`` (by fault), so a test can report how many it tried.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

Fault = Literal["stall", "error", "lose_reply"]
FAULTS: tuple[Fault, ...] = ("stall", "error", "lose_reply")
UPSTREAM_TIMEOUT_S = 10.0
STALL_S_MAX = 10.0  # a stalled request is dropped after this even if the client still waits
INJECTED_ERROR = {"code": -32603, "message": "internal error (injected fault)"}


@dataclass
class _Armed:
    fault: Fault
    methods: frozenset[str] | None
    left: int


class FaultProxy:
    """See the module docstring. Use as a context manager, or ``start()`` and ``close()``."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.injected: Counter[str] = Counter()
        self.forwarded: Counter[str] = Counter()  # method -> requests that reached the node
        self._armed: list[_Armed] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def inject(self, fault: Fault, *, methods: Collection[str] | None = None, count: int) -> None:
        """Arm the next ``count`` requests for ``methods`` (all when None) with ``fault``."""
        assert fault in FAULTS
        assert count >= 1
        with self._lock:
            self._armed.append(
                _Armed(fault, None if methods is None else frozenset(methods), count)
            )

    def armed(self) -> int:
        """Faults armed but not injected yet."""
        with self._lock:
            return sum(a.left for a in self._armed)

    def clear(self) -> None:
        """Disarm every fault and let stalled requests go (dropped)."""
        with self._lock:
            self._armed.clear()
        self._release.set()
        self._release = threading.Event()

    def _take(self, method: str) -> Fault | None:
        with self._lock:
            for armed in self._armed:
                if armed.methods is None or method in armed.methods:
                    armed.left -= 1
                    if armed.left == 0:
                        self._armed.remove(armed)
                    self.injected[armed.fault] += 1
                    return armed.fault
        return None

    def _forward(self, body: bytes) -> bytes | None:
        request = urllib.request.Request(  # noqa: S310 -- the test's own loopback node
            self.upstream, body, {"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=UPSTREAM_TIMEOUT_S) as response:  # noqa: S310
                return bytes(response.read())
        except (OSError, urllib.error.URLError):
            return None  # the node is down: the client sees a dropped connection

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # quiet: the test reports counts

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    call = json.loads(body)
                    method, call_id = str(call.get("method")), call.get("id")
                except (ValueError, AttributeError):
                    method, call_id = "", None
                fault = proxy._take(method)
                self.close_connection = True
                if fault == "stall":
                    proxy._release.wait(STALL_S_MAX)
                    return
                if fault == "error":
                    self._answer(
                        json.dumps(
                            {"jsonrpc": "2.0", "id": call_id, "error": INJECTED_ERROR}
                        ).encode()
                    )
                    return
                reply = proxy._forward(body)
                if reply is None:
                    return
                with proxy._lock:
                    proxy.forwarded[method] += 1
                if fault != "lose_reply":
                    self._answer(reply)

            def _answer(self, payload: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")  # each request on its own connection
                self.end_headers()
                self.wfile.write(payload)

        return Handler
