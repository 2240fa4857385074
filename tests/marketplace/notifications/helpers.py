"""A real webhook receiver (``http.server`` in a thread on 127.0.0.1) and small helpers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from marketplace.db import unit_of_work
from marketplace.notifications import DeliveryWorker, service
from marketplace.notifications.models import WebhookDelivery
from tests.marketplace.assets.helpers import Party
from tests.marketplace.identity.helpers import PASSWORD, bearer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class Receiver:
    """Records every POST; answers each with the next status in ``statuses`` (then 200)."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    extra_headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # how long each answer takes

    def ids(self) -> list[str]:
        with self.lock:
            return [r.headers["Databourse-Webhook-Id"] for r in self.received]

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
                time.sleep(receiver.delay_s)
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


def notify(
    engine: Engine,
    organization_id: int,
    n: int = 1,
    kind: str = "demand.matched",
    payload: dict[str, Any] | None = None,
) -> None:
    """``n`` notifications for the organisation, each in its own transaction."""
    for i in range(n):
        with unit_of_work(engine) as session:
            service.notify(
                session,
                organization_id=organization_id,
                kind=kind,
                subject=f"demand:{i + 1}",
                payload=payload or {"demand_id": i + 1, "score": 87, "title": "空气质量 PM2.5"},
            )


def member(api: TestClient, admin: Party, email: str) -> Party:
    """A plain member (not an admin) of ``admin``'s organisation, logged in."""
    invite = api.post(
        "/organizations/me/invites", headers=admin.headers, json={"membership_role": "member"}
    )
    assert invite.status_code == 201, invite.text
    r = api.post(
        "/auth/signup",
        json={"email": email, "password": PASSWORD, "invite_code": invite.json()["code"]},
    )
    assert r.status_code == 201, r.text
    token = str(r.json()["access_token"])
    me = api.get("/me", headers=bearer(token)).json()
    assert me["organization"]["id"] == admin.organization_id
    return Party(token, admin.organization_id, me["account"]["address"])


def set_webhook(api: TestClient, who: Party, url: str) -> dict[str, Any]:
    r = api.put("/organizations/me/webhook", json={"url": url}, headers=who.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def drain(workers: list[DeliveryWorker], done: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Step ``workers`` in turn until ``done()``; fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "deliveries did not finish in time"
        for worker in workers:
            worker.step()
        time.sleep(0.01)


def delivery_state(engine: Engine) -> list[tuple[int, str, int, str | None]]:
    """(notification id, status, attempts, last error) of every delivery, by id."""
    with Session(engine) as s:
        rows = s.exec(select(WebhookDelivery).order_by(col(WebhookDelivery.notification_id)))
        return [(d.notification_id, d.status, d.attempts, d.last_error) for d in rows]
