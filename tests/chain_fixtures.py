"""Chain fixtures (in-process EVM and a real anvil node), loaded by tests/conftest.py.

- ``AnvilNode``: ``node_modules/.bin/anvil`` on a loopback port it picks itself (``--port 0``:
  no race with parallel test workers over a port chosen beforehand), its state in a file so
  that ``stop()`` then ``start()`` (same port) keeps the chain.
- ``anvil_node``: a running node for one test (skipped when anvil is not installed, failed
  when ``CI=true``).
- ``anchor_chain``: a connected AnchorChain with a freshly deployed LedgerAnchor and a funded
  recorder, once per backend ("eth-tester", "anvil"). The chain and contract are shared by the
  session; each test starts from a snapshot taken right after deployment and is reverted
  after it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain import Web3AnchorChain, connect
from ledger.chain.dev import DevChain

REPO_ROOT = Path(__file__).resolve().parent.parent
ANVIL_BIN = REPO_ROOT / "node_modules" / ".bin" / "anvil"
# anvil's well-known dev accounts 0 and 1 (account 0 is marketplace/settings.py's dev recorder)
ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ANVIL_KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
RECORDER_KEY = ANVIL_KEY_0
ANVIL_CHAIN_ID = 31337
ANVIL_START_S_MAX = 30.0
ANVIL_STOP_S_MAX = 10.0
CHAIN_BACKENDS = ["eth-tester", "anvil"]
LISTENING = re.compile(rb"Listening on 127\.0\.0\.1:(\d+)")


def require_anvil() -> None:
    """Skip (or, under CI, fail) when the anvil binary from node_modules is missing."""
    if ANVIL_BIN.exists():
        return
    reason = f"anvil is not installed ({ANVIL_BIN} is missing): run `npm ci`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


class AnvilNode:
    """An anvil process on 127.0.0.1:``port``; ``state_path`` keeps its chain across
    ``stop()``/``start()`` (anvil dumps it on exit and loads it on start). Without ``port``,
    the first ``start()`` lets anvil bind a free one and later starts reuse it."""

    def __init__(self, state_path: Path, port: int | None = None) -> None:
        self.port = port or 0
        self.state_path = state_path
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path = state_path.with_suffix(".log")

    @property
    def url(self) -> str:
        assert self.port, "anvil has not started yet: its port is not known"
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        assert not self.running, "anvil is already running"
        log_start = self._log_path.stat().st_size if self._log_path.exists() else 0
        args = [
            str(ANVIL_BIN),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--state",
            str(self.state_path),
            "--chain-id",
            str(ANVIL_CHAIN_ID),
        ]
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(  # noqa: S603  # our own binary, fixed arguments
                args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + ANVIL_START_S_MAX
        if not self.port:
            self.port = self._bound_port(log_start, deadline)
        while not self.answers():
            self._check_starting(deadline)

    def _bound_port(self, log_start: int, deadline: float) -> int:
        """The port anvil says it listens on (it was started with ``--port 0``)."""
        while (found := LISTENING.search(self._log_path.read_bytes()[log_start:])) is None:
            self._check_starting(deadline)
        return int(found.group(1))

    def _check_starting(self, deadline: float) -> None:
        if not self.running:
            raise RuntimeError(f"anvil exited at start: {self._log_path.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            self.stop()
            raise RuntimeError(f"anvil did not start (port {self.port or 'not yet bound'})")
        time.sleep(0.05)

    def answers(self) -> bool:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
        request = urllib.request.Request(  # noqa: S310  # loopback URL built above
            self.url, body.encode(), {"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=1) as response:  # noqa: S310
                return "result" in json.loads(response.read())
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def stop(self) -> None:
        """Stop gracefully (anvil dumps its state), killing it if it does not exit in time."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=ANVIL_STOP_S_MAX)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> AnvilNode:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def anvil_node(tmp_path: Path) -> Iterator[AnvilNode]:
    """A running anvil node of its own, stopped after the test."""
    require_anvil()
    node = AnvilNode(tmp_path / "anvil-state.json")
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def _anvil_session_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    require_anvil()
    node = AnvilNode(tmp_path_factory.mktemp("anvil") / "anvil-state.json")
    node.start()
    try:
        yield node
    finally:
        node.stop()


def _deployed(url: str) -> Iterator[tuple[Web3AnchorChain, DevChain]]:
    chain = connect(url, recorder_key=RECORDER_KEY, contract_address=None)
    try:
        yield chain, DevChain(chain)
    finally:
        chain.close()


@pytest.fixture(scope="session")
def _eth_tester_session_chain() -> Iterator[tuple[Web3AnchorChain, DevChain]]:
    yield from _deployed("eth-tester://")


@pytest.fixture(scope="session")
def _anvil_session_chain(
    _anvil_session_node: AnvilNode,
) -> Iterator[tuple[Web3AnchorChain, DevChain]]:
    yield from _deployed(_anvil_session_node.url)


@pytest.fixture(params=CHAIN_BACKENDS)
def anchor_chain(request: pytest.FixtureRequest) -> Iterator[Web3AnchorChain]:
    """A connected AnchorChain: fresh LedgerAnchor, funded recorder, reverted after the test."""
    name = "_eth_tester_session_chain" if request.param == "eth-tester" else "_anvil_session_chain"
    chain, dev = request.getfixturevalue(name)
    snapshot = dev.snapshot()
    try:
        yield chain
    finally:
        with contextlib.suppress(Exception):  # a test may leave the chain in any state
            dev.revert(snapshot)


@pytest.fixture
def dev_chain(anchor_chain: Web3AnchorChain) -> DevChain:
    """Test-only powers (snapshot, revert, mine, fund) over ``anchor_chain``."""
    return DevChain(anchor_chain)
