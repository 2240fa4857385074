"""A real webhook receiver (``http.server`` in a thread on 127.0.0.1) and small helpers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy.engine import Engine

from marketplace.db import unit_of_work
from marketplace.notifications import service


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers each with the next status in ``statuses`` (then 200)."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    extra_headers: dict[str, str] = field(default_factory=dict)

    def answer(self, request: Received) -> int:
        with self.lock:
            self.received.append(request)
            return self.statuses.pop(0) if self.statuses else 200

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[Receiver]:
        receiver = cls()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = receiver.answer(Received(self.path, dict(self.headers.items()), body))
                self.send_response(status)
                for name, value in receiver.extra_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/databourse"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield receiver
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)


def notify(engine: Engine, organization_id: int, n: int = 1, kind: str = "demand.matched") -> None:
    """``n`` notifications for the organisation, each in its own transaction."""
    for i in range(n):
        with unit_of_work(engine) as session:
            service.notify(
                session,
                organization_id=organization_id,
                kind=kind,
                subject=f"demand:{i + 1}",
                payload={"demand_id": i + 1, "score": 87, "title": "空气质量 PM2.5"},
            )
