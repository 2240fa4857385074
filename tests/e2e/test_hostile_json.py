"""A deeply nested JSON body sent to a real `bourse serve` process is refused, and the process
(with its in-process anchoring worker) goes on serving.

With the in-process EVM, importing py-evm (``eth/__init__.py``) and ``py_ecc`` raises Python's
recursion limit to 100,000; 100,000 levels of ``[`` then overflow the C stack inside
``json.loads`` and the process dies with SIGSEGV. A TestClient would die with it, so this runs a
separate process."""

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from marketplace.limits import json_nesting_depth_max
from tests.servers import loopback_listener

START_S_MAX = 120.0  # a wait bound: start-up took ~50 s on a loaded shared machine
DEPTH = 100_000  # about 200 KB: under the 1 MiB body limit


@pytest.mark.slow
@pytest.mark.parametrize(
    "chain_url",
    [
        "eth-tester://./var/chain",  # the embedded default: py-evm in this process
        "http://127.0.0.1:9/",  # a JSON-RPC node (here unreachable: the service runs without it)
    ],
)
def test_a_deeply_nested_body_gets_a_400_and_the_server_keeps_serving(
    tmp_path: Path, chain_url: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABOURSE_")}
    env["DATABOURSE_LOG_LEVEL"] = "WARNING"
    env["DATABOURSE_CHAIN_URL"] = chain_url
    with loopback_listener() as listener:
        server = listener.serve(cwd=tmp_path, env=env, text=True)
        _check(server, listener.url, chain_url)


def _check(server: subprocess.Popen[str], base: str, chain_url: str) -> None:
    try:
        deadline = time.monotonic() + START_S_MAX
        ready = False
        while not ready and time.monotonic() < deadline and server.poll() is None:
            try:
                ready = httpx.get(f"{base}/health", timeout=2.0).status_code in (200, 503)
            except httpx.TransportError:
                time.sleep(0.2)
        assert ready, "the server never answered"
        deep = b"[" * DEPTH + b"]" * DEPTH
        # The parser reads UTF-16 too, where U+2200 is the bytes 00 22: read as bytes, a quote
        # that never closes, hiding every bracket after it (about 400 KB).
        hidden = ('["\u2200",' + "[" * DEPTH + "]" * DEPTH + "]").encode("utf-16-le")
        for body, headers in (
            (deep, {"content-type": "application/json"}),
            (deep, {}),
            (hidden, {"content-type": "application/json"}),
        ):
            r = httpx.post(f"{base}/auth/login", content=body, headers=headers, timeout=30.0)
            assert r.status_code == 400
            assert r.json() == {
                "error": "json_too_deep",
                "message": f"the request body nests arrays and objects more than "
                f"{json_nesting_depth_max} deep",
            }
        health = httpx.get(f"{base}/health", timeout=30.0)
        assert server.poll() is None, "the server died"
        assert health.json()["database"]["ok"] is True
        if chain_url.startswith("eth-tester"):
            assert health.json()["chain"]["ok"] is True  # the in-process worker's chain, alive
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
    assert server.returncode == 0, server.returncode
