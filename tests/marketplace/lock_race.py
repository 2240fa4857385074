"""Two requests racing for row locks, on a real server, made to interleave the same way every
run: one side is held (patched, in this process where the server runs) at a point where it holds
its locks, until the other is seen waiting for it (PostgreSQL's ``pg_blocking_pids``). On SQLite
every transaction takes the one write lock first, so the second waits for the first to commit
and there is no statement to see."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import serve

#: The longest the held side waits for the other to be seen waiting (it is released then).
HOLD_S = 30.0


class Held:
    """``owner.<name>`` patched to stop once it returns, the first time ``when`` holds for its
    arguments (after the session), until released: ``holds`` is set then, and ``pid`` is its
    transaction's PostgreSQL backend (None on SQLite)."""

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        owner: Any,
        name: str,
        when: Callable[..., bool] = lambda *_args: True,
    ) -> None:
        self.holds, self.release = threading.Event(), threading.Event()
        self.pid: int | None = None
        original: Callable[..., Any] = getattr(owner, name)

        def held(session: Session, *args: Any, **kwargs: Any) -> Any:
            found = original(session, *args, **kwargs)
            if not self.holds.is_set() and when(*args):
                if session.get_bind().dialect.name == "postgresql":
                    self.pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
                self.holds.set()
                self.release.wait(HOLD_S)
            return found

        monkeypatch.setattr(owner, name, held)


def statement_waiting_for(engine: Engine, held: Held) -> str | None:
    """The statement of the transaction waiting for ``held``'s locks, once one is (PostgreSQL);
    None on SQLite, where the other request waits for the write lock before its first
    statement. Releases ``held`` either way."""
    try:
        if held.pid is None:
            return None
        deadline = time.monotonic() + HOLD_S
        while True:
            with engine.connect() as conn:
                found = list(
                    conn.execute(
                        text(
                            "SELECT query FROM pg_stat_activity "
                            "WHERE CAST(:pid AS integer) = ANY(pg_blocking_pids(pid))"
                        ),
                        {"pid": held.pid},
                    ).scalars()
                )
            if found:
                assert len(found) == 1, found
                return " ".join(str(found[0]).split())
            assert time.monotonic() < deadline, "nothing waited for the held transaction"
            time.sleep(0.02)
    finally:
        held.release.set()


def waits_in(statement: str | None, tail: str) -> bool:
    """Whether ``statement`` ends with ``tail`` (None, on SQLite, has nothing to show)."""
    return statement is None or statement.endswith(tail)


def race(
    runtime: Runtime, held: Held, first: Callable[[Any], Any], then: Callable[[Any], Any]
) -> tuple[httpx.Response, httpx.Response, str | None]:
    """``first`` sent to a real server and held by ``held``; ``then`` sent meanwhile. Their
    answers, and the statement ``then`` waited in (PostgreSQL)."""
    with (
        serve(create_app(runtime=runtime)) as url,
        httpx.Client(base_url=url, timeout=60) as one,
        httpx.Client(base_url=url, timeout=60) as two,
        ThreadPoolExecutor(2) as pool,
    ):
        held_side = pool.submit(first, one)
        assert held.holds.wait(30)
        other_side = pool.submit(then, two)
        waiting = statement_waiting_for(runtime.engine, held)
        return held_side.result(60), other_side.result(60), waiting
