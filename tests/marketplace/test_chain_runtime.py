"""The chain in the running service: health, chain id, in-process worker, outages."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ledger.anchoring import AnchorWorker
from ledger.chain import connect
from ledger.chain.dev import DevChain
from marketplace.app import create_app
from marketplace.chain_runtime import anchor_config, attach_chain
from marketplace.runtime import Runtime
from tests.chain_fixtures import ANVIL_KEY_1, RECORDER_KEY
from tests.conftest import settings_for
from tests.ledger.helpers import journal_n

RECORDER_ROLE = keccak(text="RECORDER_ROLE")
OUTSIDER = Account.from_key(ANVIL_KEY_1).address


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


def _wait_health(client: TestClient, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    body: dict[str, Any] = client.get("/health").json()
    while not done(body) and time.monotonic() < deadline:
        time.sleep(0.1)
        body = client.get("/health").json()
    return body


def test_health_reports_a_recorder_without_the_role_until_it_is_granted(
    engine: Engine, tmp_path: Path
) -> None:
    url = f"eth-tester://{tmp_path / 'chain'}"
    owner = connect(url, recorder_key=RECORDER_KEY, contract_address=None)  # deploys, remembers
    DevChain(owner).fund(OUTSIDER, 10**20)
    settings = settings_for(
        engine, chain_url=url, anchor_recorder_key=ANVIL_KEY_1, anchor_batch_age_s=0
    )
    runtime = Runtime(settings=settings, engine=engine)
    attach_chain(runtime, start_worker=True)  # the same contract, signing with another key
    try:
        journal_n(engine, 2)
        with TestClient(create_app(runtime=runtime)) as client:
            body = _wait_health(client, lambda b: b["chain"].get("ok") is False)
            assert body["status"] == "degraded"
            assert body["chain"]["error"] == "anchoring failing"
            assert "AccessControlUnauthorizedAccount" in body["chain"]["detail"]
            assert body["chain"]["anchor_lag"] == 2
            owner.contract.grant_role(RECORDER_ROLE, OUTSIDER)
            body = _wait_health(client, lambda b: b["chain"].get("anchor_lag") == 0)
            body = _wait_health(client, lambda b: b["status"] == "ok")
        assert body["status"] == "ok", body
        assert body["chain"]["last_anchored_seq"] == 2
    finally:
        runtime.close()
        owner.close()


def test_confirmations_above_one_are_ignored_on_the_in_process_evm(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(engine, anchor_confirmations=3, anchor_batch_age_s=0)
    with caplog.at_level(logging.WARNING, logger="marketplace.chain_runtime"):
        config = anchor_config(settings)
    assert config.confirmations == 1
    assert "ignored on the in-process EVM" in caplog.text
    http = settings_for(engine, anchor_confirmations=3, chain_url="http://127.0.0.1:9")
    assert anchor_config(http).confirmations == 3
    journal_n(engine, 2)
    chain = connect("eth-tester://", recorder_key=RECORDER_KEY, contract_address=None)
    try:
        AnchorWorker(engine, lambda: chain, config).run_until_anchored(timeout_s=10)
    finally:
        chain.close()


def test_health_never_shows_the_node_urls_api_key(engine: Engine) -> None:
    # /health is public; node providers put their API key in the URL's path, and a connection
    # error quotes the URL. The log formatter scrubs it; the health report must as well.
    node_key = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    settings = settings_for(engine, chain_url=f"http://127.0.0.1:9/v3/{node_key}")
    runtime = Runtime(settings=settings, engine=engine)
    attach_chain(runtime, start_worker=True)
    try:
        with TestClient(create_app(runtime=runtime)) as client:
            response = client.get("/health")
        assert response.json()["chain"]["ok"] is False
        assert "http://127.0.0.1:9/***" in response.text
        assert node_key not in response.text
    finally:
        runtime.close()


def test_health_reads_a_hanging_chain_once_at_a_time(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /health is public and reads the chain; a node that accepts and never answers holds each
    # read for the RPC timeout. Were every caller to read in turn, a few dozen calls would take
    # every request slot of the process for minutes: one reads, the others share its report.
    import socket
    import threading

    from marketplace import chain_runtime
    from marketplace.health import probe_report

    reads: list[int] = []
    probe = chain_runtime.chain_probe

    def counted(*args: Any) -> dict[str, Any]:
        reads.append(1)
        return probe(*args)

    monkeypatch.setattr(chain_runtime, "chain_probe", counted)
    with socket.socket() as hanging:
        hanging.bind(("127.0.0.1", 0))
        hanging.listen(64)
        settings = settings_for(engine, chain_url=f"http://127.0.0.1:{hanging.getsockname()[1]}")
        runtime = Runtime(settings=settings, engine=engine)
        attach_chain(runtime, start_worker=False)
        try:
            reports: list[dict[str, Any]] = []
            callers = [
                threading.Thread(target=lambda: reports.append(probe_report(runtime)["chain"]))
                for _ in range(4)
            ]
            for caller in callers:
                caller.start()
            for caller in callers:
                caller.join()
            assert len(reports) == 4
            assert all(report["ok"] is False for report in reports)
            assert len(reads) == 1  # one read for four callers
            assert probe_report(runtime)["chain"]["ok"] is False  # the next caller reads again
            assert len(reads) == 2
        finally:
            runtime.close()
