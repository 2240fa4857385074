"""When SQLite's write lock stays taken past the busy timeout, a request is answered 503 with
Retry-After, never a 500, and the next request after the lock is released succeeds."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace import db
from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.conftest import settings_for


def test_a_lock_held_past_the_busy_timeout_is_503_with_retry_after(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single write lock and busy timeout")
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 100)
    impatient = db.make_engine(engine.url.render_as_string(hide_password=False))
    runtime = Runtime(settings=settings_for(engine), engine=impatient)
    holder = sqlite3.connect(str(engine.url.database), isolation_level=None)
    try:
        with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as api:
            holder.execute("BEGIN IMMEDIATE")
            r = api.get("/assets")
            assert r.status_code == 503, r.text
            assert r.headers["Retry-After"] == "1"
            assert r.json()["error"] == "database_unavailable"
            assert "try again" in r.json()["message"]
            assert api.get("/health").status_code == 200  # a health check needs no write lock
            holder.execute("ROLLBACK")
            assert api.get("/assets").status_code == 200
    finally:
        holder.close()
        impatient.dispose()
