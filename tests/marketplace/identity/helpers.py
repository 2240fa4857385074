"""Helpers shared by the identity, client and CLI tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ledger.models import utc_now
from marketplace.app import create_app
from marketplace.db import unit_of_work
from marketplace.identity import service
from marketplace.identity.siwe import build
from marketplace.runtime import Runtime
from marketplace.tables import metadata
from tests.conftest import settings_for

CHAIN_ID = 31337
PASSWORD = "correct horse battery staple"
OPERATOR_EMAIL = "ops@databourse.test"
KEEP_ALIVE_S = 120  # a test server's idle connections (see ``serving``)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signup(
    api: TestClient,
    email: str,
    organization: str,
    roles: list[str],
    password: str = PASSWORD,
) -> dict[str, Any]:
    r = api.post(
        "/auth/signup",
        json={
            "email": email,
            "password": password,
            "organization": {"name": organization, "roles": roles},
        },
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def make_operator(runtime: Runtime, email: str = OPERATOR_EMAIL) -> None:
    with unit_of_work(runtime.engine) as session:
        service.create_operator(
            session,
            runtime.settings,
            email=email,
            password=PASSWORD,
            organization_name="Exchange operations",
            now=utc_now(),
        )


def operator_token(api: TestClient, runtime: Runtime) -> str:
    make_operator(runtime)
    r = api.post("/auth/login", json={"email": OPERATOR_EMAIL, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def siwe_body(
    api: TestClient,
    wallet: LocalAccount,
    *,
    domain: str | None = None,
    chain_id: int | None = None,
    nonce: str | None = None,
    issued_at: datetime | None = None,
    expiration_time: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A signed SIWE request body; keyword overrides make it wrong in one way."""
    offer = api.get("/auth/siwe/nonce")
    assert offer.status_code == 200, offer.text
    o = offer.json()
    message = build(
        domain=domain or o["domain"],
        uri=o["uri"],
        address=wallet.address,
        chain_id=chain_id or o["chain_id"],
        nonce=nonce or o["nonce"],
        issued_at=issued_at or datetime.now(UTC),
        expiration_time=expiration_time or datetime.now(UTC) + timedelta(minutes=5),
    )
    signature = wallet.sign_message(encode_defunct(text=message)).signature
    return {"message": message, "signature": "0x" + bytes(signature).hex(), **extra}


def new_wallet() -> LocalAccount:
    wallet: LocalAccount = Account.create()
    return wallet


def row_counts(engine: Engine) -> dict[str, int]:
    from sqlalchemy import func, select

    with Session(engine) as s:
        return {
            t.name: int(s.execute(select(func.count()).select_from(t)).scalar_one())
            for t in metadata.sorted_tables
        }


@dataclass(frozen=True)
class Served:
    """A running uvicorn server and its base URL."""

    url: str
    server: uvicorn.Server

    def wait_idle(self, timeout_s: float = 10) -> None:
        """Waits until the server has finished every request it has received: a handler goes
        on running after its client has hung up (an upload cut short cleans up then)."""
        deadline = time.monotonic() + timeout_s
        while self.server.server_state.tasks:
            assert time.monotonic() < deadline, f"requests still running after {timeout_s} s"
            time.sleep(0.01)


@contextmanager
def serving(app: FastAPI) -> Iterator[Served]:
    """Runs ``app`` with uvicorn on 127.0.0.1 on a free port. Idle connections stay open longer
    than a client keeps them (httpx: 5 s, uvicorn's default too), so a client reusing one after a
    slow step on a loaded machine never meets a connection the server is closing."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
        ws="none",
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        assert time.monotonic() < deadline, "uvicorn did not start within 10 s"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Served(f"http://127.0.0.1:{port}", server)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Runs ``app`` with uvicorn on 127.0.0.1 on a free port; yields its base URL."""
    with serving(app) as served:
        yield served.url


@contextmanager
def serve_exchange(engine: Engine, **overrides: object) -> Iterator[str]:
    """A real server on ``engine`` (chain id ``CHAIN_ID``, settings ``overrides``) that already
    has the operator account; yields its base URL."""
    runtime = Runtime(settings=settings_for(engine, **overrides), engine=engine)
    runtime.chain_id = CHAIN_ID
    make_operator(runtime)
    with serve(create_app(runtime=runtime)) as url:
        yield url
