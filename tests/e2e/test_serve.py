"""`bourse serve` (what `make run` starts) answers /health on the embedded default."""

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import loopback_listener

START_S_MAX = 60.0


@pytest.mark.slow
def test_serve_starts_on_the_embedded_default_and_health_is_200(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABOURSE_")}
    env["DATABOURSE_LOG_LEVEL"] = "WARNING"
    with loopback_listener() as listener:
        # The defaults (./var/databourse.db, eth-tester://./var/chain, ./var/blobs): under cwd.
        server = listener.serve(cwd=tmp_path, env=env, text=True)
        _check(server, listener.port, tmp_path)


def _check(server: subprocess.Popen[str], port: int, tmp_path: Path) -> None:
    try:
        deadline = time.monotonic() + START_S_MAX
        health = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2.0)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert health is not None, "the server never answered"
        assert health.status_code == 200
        body = health.json()
        assert body["database"] == {"ok": True, "backend": "sqlite"}
        assert body["chain"]["ok"] is True
        assert (tmp_path / "var" / "databourse.db").exists()
        assert (tmp_path / "var" / "chain").is_dir()
        docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5.0)
        assert docs.status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        try:
            out, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            out, _ = server.communicate()
    assert f"API docs   http://127.0.0.1:{port}/docs" in out
    assert "/quality/report.html" in out
