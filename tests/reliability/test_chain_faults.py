"""Chain faults against a real anvil node (issue 16, point 3): the node stopped and restarted,
slowed until requests time out, answering JSON-RPC errors, a send that reached the node but
whose reply was lost, and a reorg (evm_snapshot, evm_revert) that drops a mined anchor.

The API runs on the test database with its chain reached through ``FaultProxy`` (so /health
meets the same faults as the worker); the anchoring worker is ticked by the test, so every wait
is a bounded number of ticks, never a wall-clock deadline. In every case:

- business continues: deposits over HTTP succeed while the chain is bad;
- no anchor is duplicated or skipped: the contract's ``Anchored`` events are batches 1..N, each
  once, contiguous from seq 1 to the journal's last seq, and equal to the database's batches;
- every entry ends in a confirmed batch, and the whole journal verifies against the chain.

``FAULT_TALLY`` counts the faults injected; the session prints it (tests/reliability/conftest).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

import ledger.chain
from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.chain import Web3AnchorChain, connect
from ledger.chain.dev import DevChain
from ledger.connection import ChainHandle
from ledger.models import AnchorBatch, BatchStatus
from marketplace.app import create_app
from marketplace.chain_runtime import attach_chain
from marketplace.client import Databourse
from marketplace.runtime import Runtime
from tests.chain_fixtures import AnvilNode
from tests.conftest import settings_for
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, make_operator, serve
from tests.reliability.anchors import assert_anchored_exactly_once, journal_last_seq
from tests.reliability.figures import show
from tests.reliability.rpc_proxy import FaultProxy

pytestmark = [pytest.mark.slow, pytest.mark.anvil]

# The worker's client timeout in these tests: its stalled request fails after this, not after
# the production 5 s. The API and the test's own reads keep the production timeout, so that a
# busy machine (anvil slower than this) cannot fail the set-up or an assertion.
RPC_TIMEOUT_S = 0.5
TICKS_MAX = 60  # ticks for the worker to confirm everything once the chain is healthy again
DEPOSIT_MINOR = 1_000

FAULT_TALLY: Counter[str] = Counter()
OPERATION_TALLY: Counter[str] = Counter()


@dataclass
class Exchange:
    """The API (its chain through ``proxy``), a verified buyer, and a worker the test ticks."""

    engine: Engine
    node: AnvilNode
    proxy: FaultProxy
    buyer: Databourse
    worker: AnchorWorker
    handle: ChainHandle

    @property
    def chain(self) -> Web3AnchorChain:
        return self.handle.get()

    def deposit(self, times: int = 1) -> None:
        """Business: deposits over HTTP, each of which must succeed whatever the chain does."""
        for _ in range(times):
            assert self.buyer.books.deposit(DEPOSIT_MINOR).status == "confirmed"
            OPERATION_TALLY["deposit"] += 1

    def health(self) -> dict[str, Any]:
        r = httpx.get(f"{self.buyer.base_url}/health", timeout=10)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def tick(self, times: int = 1, *, between: Callable[[], None] | None = None) -> None:
        for _ in range(times):
            self.worker.tick()
            if between is not None:
                between()

    def tick_until(self, done: Callable[[], bool], what: str) -> None:
        """Tick until ``done()`` (at most ``TICKS_MAX`` ticks)."""
        for _ in range(TICKS_MAX):
            self.worker.tick()
            if done():
                return
        raise AssertionError(f"{what}: not after {TICKS_MAX} ticks ({self.worker.state})")

    def tick_until_confirmed(self, *, between: Callable[[], None] | None = None) -> int:
        """Tick until every entry is in a confirmed batch; the ticks it took (at most
        ``TICKS_MAX``)."""
        for ticks in range(1, TICKS_MAX + 1):
            self.worker.tick()
            if self.worker.all_confirmed():
                return ticks
            if between is not None:
                between()
        raise AssertionError(
            f"not all confirmed after {TICKS_MAX} ticks: {self.worker.state.last_error}"
        )

    def batch_statuses(self) -> list[str]:
        with Session(self.engine) as s:
            return list(
                s.execute(select(col(AnchorBatch.status)).order_by(col(AnchorBatch.id))).scalars()
            )


@contextmanager
def exchange_on(
    engine: Engine, tmp_path: Path, *, confirmations: int = 1, hook: Any = None
) -> Iterator[Exchange]:
    node = AnvilNode(tmp_path / "anvil-state.json")
    node.start()
    proxy = FaultProxy(node.url).start()
    settings = settings_for(engine, chain_url=proxy.url, blob_url=f"file://{tmp_path / 'blobs'}")
    runtime = Runtime(settings=settings, engine=engine)
    try:
        attach_chain(runtime, start_worker=False)  # deploys the contract through the proxy
        assert runtime.chain is not None
        assert runtime.chain_id is not None
        make_operator(runtime)
        handle = runtime.chain
        config = AnchorConfig(batch_age_s=0, confirmations=confirmations, poll_s=0.05)
        worker = AnchorWorker(engine, _short_timeout_source(runtime), config, hook=hook)
        with serve(create_app(runtime=runtime)) as url:
            ops = Databourse(url)
            ops.identity.login(OPERATOR_EMAIL, PASSWORD)
            buyer = Databourse(url)
            buyer.identity.signup(
                "faults@buyer.test", PASSWORD, organization="Fault Buyers", roles=["buyer"]
            )
            ops.identity.verify_organization(buyer.identity.me().organization.id)
            ops.close()
            try:
                yield Exchange(engine, node, proxy, buyer, worker, handle)
            finally:
                buyer.close()
    finally:
        for close in reversed(runtime.closers):
            close()
        proxy.close()
        node.stop()


@pytest.fixture(scope="module", autouse=True)
def _report_tally(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print the faults injected and the business operations done (serial runs show it)."""
    yield
    faults = ", ".join(f"{n} {kind}" for kind, n in sorted(FAULT_TALLY.items()))
    show(
        request.config,
        f"\nchain faults: {sum(FAULT_TALLY.values())} injected ({faults}); "
        f"{OPERATION_TALLY.total()} deposits over HTTP, all succeeded",
    )


def _short_timeout_source(runtime: Runtime) -> Callable[[], Web3AnchorChain]:
    """The worker's chain: the same contract through the proxy, on its own connection whose
    requests time out after ``RPC_TIMEOUT_S`` (connected lazily, as the worker does)."""
    settings = runtime.settings
    handle = ChainHandle(
        runtime.engine,
        settings.chain_url,
        recorder_key=settings.anchor_recorder_key.get_secret_value(),
        contract_address=runtime.contract_address,
    )
    runtime.closers.append(handle.close)

    def source() -> Web3AnchorChain:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ledger.chain, "HTTP_TIMEOUT_S", RPC_TIMEOUT_S)
            return handle.get()

    return source


def _settled(x: Exchange) -> None:
    """Start each case from a fully anchored journal."""
    x.deposit(2)
    x.tick_until_confirmed()


def _finish(x: Exchange) -> None:
    x.proxy.clear()
    x.deposit()  # and business after the fault
    x.tick_until_confirmed()
    assert_anchored_exactly_once(x.engine, x.chain)


def test_node_stopped_then_restarted(engine: Engine, tmp_path: Path) -> None:
    with exchange_on(engine, tmp_path) as x:
        _settled(x)
        x.node.stop()
        FAULT_TALLY["node stopped"] += 1
        x.deposit(3)
        x.tick(4)
        assert x.worker.state.chain_ok is False
        assert x.health()["status"] == "degraded"
        x.node.start()
        _finish(x)


def test_node_stopped_after_a_batch_was_cut_and_before_it_was_sent(
    engine: Engine, tmp_path: Path
) -> None:
    stopped: list[AnvilNode] = []

    def stop_once(point: str, batch: AnchorBatch) -> None:
        if point == "stored" and batch.id == 2 and not stopped:
            stopped.append(node_of[0])
            node_of[0].stop()
            FAULT_TALLY["node stopped"] += 1

    node_of: list[AnvilNode] = []
    with exchange_on(engine, tmp_path, hook=stop_once) as x:
        node_of.append(x.node)
        _settled(x)
        x.deposit(2)
        x.tick_until(lambda: bool(stopped), "batch 2 cut")
        assert x.batch_statuses()[-1] == BatchStatus.pending
        x.deposit()
        x.node.start()
        _finish(x)


def test_node_slowed_until_requests_time_out(engine: Engine, tmp_path: Path) -> None:
    with exchange_on(engine, tmp_path) as x:
        _settled(x)
        x.deposit(2)
        x.proxy.inject("stall", count=5)
        x.tick(5)
        x.deposit(2)
        # the send itself stalls: the node never receives it, the worker sends it again
        x.proxy.inject("stall", methods={"eth_sendRawTransaction"}, count=2)
        x.tick(4)
        FAULT_TALLY["stalled request"] += x.proxy.injected["stall"]
        assert x.proxy.injected["stall"] >= 5
        _finish(x)


def test_node_answering_json_rpc_errors(engine: Engine, tmp_path: Path) -> None:
    with exchange_on(engine, tmp_path) as x:
        _settled(x)
        x.deposit(2)
        x.proxy.inject("error", count=4)
        x.tick(4)
        assert x.worker.state.chain_ok is False
        for method in ("eth_sendRawTransaction", "eth_getTransactionReceipt", "eth_call"):
            x.deposit()
            x.proxy.inject("error", methods={method}, count=2)
            x.tick(4)
        FAULT_TALLY["json-rpc error"] += x.proxy.injected["error"]
        assert x.proxy.injected["error"] >= 8
        _finish(x)


def test_send_that_succeeded_but_whose_reply_was_lost(engine: Engine, tmp_path: Path) -> None:
    with exchange_on(engine, tmp_path) as x:
        _settled(x)
        for _ in range(3):
            x.deposit(2)
            x.proxy.inject("lose_reply", methods={"eth_sendRawTransaction"}, count=1)
            x.tick_until_confirmed()
            assert x.proxy.armed() == 0, "the worker sent nothing"
        # the replies to the receipt lookups lost too, while the node has mined the batch
        x.deposit(2)
        x.proxy.inject("lose_reply", methods={"eth_getTransactionReceipt"}, count=3)
        x.tick_until_confirmed()
        assert x.proxy.armed() == 0
        FAULT_TALLY["reply lost"] += x.proxy.injected["lose_reply"]
        _finish(x)
        # each batch's transaction reached the node once (and the contract's deployment): a
        # send whose reply was lost is looked up, never sent again blindly
        assert x.proxy.forwarded["eth_sendRawTransaction"] == len(x.batch_statuses()) + 1


def test_reorg_drops_a_mined_anchor_before_it_is_confirmed(engine: Engine, tmp_path: Path) -> None:
    with exchange_on(engine, tmp_path, confirmations=3) as x:
        dev_chain = connect(
            x.node.url, recorder_key=None, contract_address=x.chain.contract_address
        )
        dev = DevChain(dev_chain)
        try:
            _settled_at_depth(x, dev)
            for dropped in (1, 2):  # one mined anchor dropped, then two at once
                snapshot = dev.snapshot()
                for _ in range(dropped):
                    x.deposit(2)
                    x.tick_until(_next_batch_mined(x), "the next batch mined")
                assert x.batch_statuses()[-dropped:] == [BatchStatus.sent] * dropped
                dev.revert(snapshot)
                FAULT_TALLY["reorg (anchor dropped)"] += dropped
                x.tick_until_confirmed(between=lambda: dev.mine(1))
            x.proxy.clear()
            x.deposit()
            x.tick_until_confirmed(between=lambda: dev.mine(1))
            assert_anchored_exactly_once(x.engine, x.chain)
        finally:
            dev_chain.close()


def _next_batch_mined(x: Exchange) -> Callable[[], bool]:
    """True once the batch after those stored now is mined (``sent``)."""
    before = len(x.batch_statuses())
    return lambda: x.batch_statuses()[before:] == [BatchStatus.sent]


def _settled_at_depth(x: Exchange, dev: DevChain) -> None:
    x.deposit(2)
    x.tick_until_confirmed(between=lambda: dev.mine(1))
    assert journal_last_seq(x.engine) > 0
