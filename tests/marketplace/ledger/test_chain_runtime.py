"""The chain in the running service: health, chain id, in-process worker, outages."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.chain_runtime import attach_chain
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.ledger.helpers import journal_n


def test_health_reports_the_chain_and_anchor_lag(engine: Engine) -> None:
    runtime = Runtime(settings=settings_for(engine, anchor_batch_age_s=0), engine=engine)
    attach_chain(runtime, start_worker=True)
    try:
        assert runtime.chain_id is not None
        journal_n(engine, 3)
        with TestClient(create_app(runtime=runtime)) as client:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                chain = client.get("/health").json()["chain"]
                if chain.get("anchor_lag") == 0:
                    break
                time.sleep(0.1)
            body = client.get("/health").json()
        assert body["status"] == "ok"
        assert body["chain"]["ok"] is True
        assert body["chain"]["last_anchored_seq"] == 3
        assert body["chain"]["chain_id"] == runtime.chain_id
    finally:
        runtime.close()


def test_unreachable_chain_degrades_health_but_not_start_up(engine: Engine) -> None:
    settings = settings_for(engine, chain_url="http://127.0.0.1:9")
    runtime = Runtime(settings=settings, engine=engine)
    attach_chain(runtime, start_worker=True)
    try:
        assert runtime.chain_id is None
        journal_n(engine, 2)  # business writes keep working
        with TestClient(create_app(runtime=runtime)) as client:
            response = client.get("/health")
        assert response.status_code == 200
        assert response.json()["status"] == "degraded"
        assert response.json()["chain"]["ok"] is False
        assert response.json()["chain"]["journal_seq"] == 2
    finally:
        runtime.close()
