"""Scale-out on PostgreSQL (issue 16, point 4): four API processes (uvicorn, each on a socket
the test bound first and hands over, so no port race) and two ``bourse worker`` processes run at
once against one anvil node, under a workload of client threads: deposits, purchases, deliveries
and accepts, each thread spreading its requests over every API process.

Half of the delivered orders have their acceptance window ended by the test, so both workers'
settlement jobs race each other and the buyer's own accept for them. Once half the orders are
bought, the worker holding the anchoring lease is stopped (SIGTERM); the other must take over.
Afterwards:

- the journal's seq is gapless from 1, and ``ledger verify`` passes against the chain;
- every batch was anchored exactly once: the contract's ``Anchored`` events are batches 1..N,
  contiguous, each once, equal to the database's batches, all confirmed;
- no order settled twice: each settled order has one ``order.settled`` entry and its hold one
  ``settlement.released``; the books sum to zero;
- every request answered 2xx, except accepts that lost the race (409 ``order_state``).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO

import httpx
import pytest
import redis
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from ledger.anchoring import LEASE_NAME
from ledger.connection import connect_anchor_chain
from ledger.models import JournalEntry, WorkerLease, as_utc, utc_now
from marketplace.client import Databourse, DatabourseClientError
from marketplace.db import make_engine
from marketplace.migrations import upgrade
from marketplace.orders.models import Order
from marketplace.runtime import Runtime
from tests.chain_fixtures import RECORDER_KEY, AnvilNode
from tests.conftest import POSTGRES_URL, settings_for
from tests.marketplace.client.conftest import listed, verified_supplier
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, make_operator
from tests.marketplace.listings.helpers import offer
from tests.marketplace.orders.money import reconciled
from tests.reliability.anchors import assert_anchored_exactly_once
from tests.reliability.figures import show

pytestmark = [pytest.mark.slow, pytest.mark.anvil]

REDIS_URL = "redis://127.0.0.1:6379/0"  # the machine's Redis (the rate-limit tests use it too)
API_PROCESSES = 4
WORKER_PROCESSES = 2
BUYER_THREADS = 8
ORDERS_PER_BUYER = 3
PRICE_MINOR = 125_000  # the listings helpers' fixed price
START_S_MAX = 120.0  # generous: six Python processes start at once on a shared CI machine
SETTLE_S_MAX = 40.0
THREAD_S_MAX = 120.0  # for the workers to settle and anchor everything once the load stops
PYTHON = Path(sys.executable)
BOURSE = PYTHON.with_name("bourse")


@pytest.fixture
def scale_engine() -> Iterator[tuple[Engine, str]]:
    """A fresh PostgreSQL schema, migrated; its engine and the URL the processes use."""
    if not POSTGRES_URL:
        pytest.skip("DATABOURSE_TEST_POSTGRES_URL is not set")
    schema = f"scale_{os.getpid()}_{secrets.token_hex(4)}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield engine, url
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class Processes:
    """The API and worker processes, their output in ``root/<name>.log``."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []
        self.api_urls: list[str] = []

    def _spawn(self, name: str, args: list[str], pass_fds: tuple[int, ...] = ()) -> None:
        log = (self.root / f"{name}.log").open("ab")
        self._logs.append(log)
        self.running[name] = subprocess.Popen(  # noqa: S603 -- our own interpreter and scripts
            args, cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            pass_fds=pass_fds,
        )  # fmt: skip

    def start_apis(self, count: int) -> None:
        """``count`` uvicorn processes (tests/reliability/forked_api.py), each on a socket bound
        here on port 0 (the kernel's pick: no race with other tests) and handed over."""
        listeners = []
        for _ in range(count):
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind(("127.0.0.1", 0))
            listener.listen(128)
            listeners.append(listener)
            self.api_urls.append(f"http://127.0.0.1:{listener.getsockname()[1]}")
        fds = tuple(listener.fileno() for listener in listeners)
        self._spawn(
            "api",
            [str(PYTHON), "-m", "tests.reliability.forked_api", *map(str, fds)],
            pass_fds=fds,
        )
        for listener in listeners:
            listener.close()  # the processes hold their own copies

    def start_worker(self, index: int) -> None:
        self._spawn(f"worker-{index}", [str(BOURSE), "worker"])

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_S_MAX
        for url in self.api_urls:
            while True:
                self.check_alive()
                try:
                    if httpx.get(f"{url}/health", timeout=2.0).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"{url} did not answer:\n{self.logs()}"
                time.sleep(0.05)

    def stop_anchoring_worker(self, engine: Engine) -> int:
        """SIGTERM the ``bourse worker`` that holds the anchoring lease (it releases the lease
        as it stops); the pid it had. Waits (bounded) until a worker holds the lease."""
        deadline = time.monotonic() + START_S_MAX
        while (holder := _lease_holder_pid(engine)) is None:
            self.check_alive()
            assert time.monotonic() < deadline, f"no worker took the lease:\n{self.logs()}"
            time.sleep(0.1)
        (name,) = [n for n, p in self.running.items() if p.pid == holder]
        process = self.running.pop(name)
        process.send_signal(signal.SIGTERM)  # its lease is released as its anchoring loop ends
        self.stopping.append(process)  # its other jobs may take a while to finish: not waited
        return holder

    def check_alive(self) -> None:
        for name, process in self.running.items():
            assert process.poll() is None, f"{name} exited:\n{self.logs()}"

    def stop(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.running.values(), *self.stopping]:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for log in self._logs:
            log.close()

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.root.glob("*.log"))
        )


@dataclass
class Tally:
    """What the client threads did: requests by outcome, and the orders they bought."""

    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    orders: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    half_bought: threading.Event = field(default_factory=threading.Event)

    def ok(self, what: str) -> None:
        with self.lock:
            self.outcomes[what] += 1
            if self.outcomes["purchase"] * 2 >= BUYER_THREADS * ORDERS_PER_BUYER:
                self.half_bought.set()

    def failed(self, what: str, exc: BaseException) -> None:
        with self.lock:
            self.failures.append(f"{what}: {type(exc).__name__}: {exc}")


def _buyer(urls: list[str], ops: Databourse, index: int) -> list[Databourse]:
    """A verified buyer organisation; one logged-in client per API process."""
    first = Databourse(urls[index % len(urls)])
    first.identity.signup(
        f"buyer{index}@scale.test", PASSWORD, organization=f"Scale Buyer {index}", roles=["buyer"]
    )
    ops.identity.verify_organization(first.identity.me().organization.id)
    others = [Databourse(url, token=first._session.token) for url in urls]
    first.close()
    return others


@dataclass(frozen=True)
class Market:
    urls: list[str]
    ops: Databourse
    listing_id: int
    engine: Engine


def _trade(market: Market, index: int, tally: Tally) -> None:
    """One buyer: sign up (verified by the operator), deposit, then buy, take delivery and
    accept (or let the window end), each request on the next API process."""
    clients: list[Databourse] = []
    turn = iter(range(index, index + 10_000))

    def next_client() -> Databourse:
        return clients[next(turn) % len(clients)]

    try:
        clients.extend(_buyer(market.urls, market.ops, index))
        tally.ok("sign-up")
        next_client().books.deposit(PRICE_MINOR * ORDERS_PER_BUYER)
        tally.ok("deposit")
        for n in range(ORDERS_PER_BUYER):
            order = next_client().orders.buy(market.listing_id, purpose="research")
            tally.ok("purchase")
            with tally.lock:
                tally.orders.append(order.id)
            licence = next_client().delivery.licence_for_order(order.id)
            next_client().delivery.download_url(licence.id)  # delivers the order
            tally.ok("delivery")
            if n % 2:
                _end_acceptance_window(
                    market.engine, order.id
                )  # the settlement jobs race the buyer
            try:
                next_client().orders.accept(order.id, idempotency_key=uuid.uuid4().hex)
                tally.ok("accept")
            except DatabourseClientError as exc:
                if (exc.status, exc.code) != (409, "order_state"):
                    raise
                tally.ok("accept lost the race to a settlement job (409)")
    except Exception as exc:  # noqa: BLE001 -- recorded and asserted on by the test
        tally.failed(f"buyer {index}", exc)
    finally:
        for client in clients:
            client.close()


def _lease_holder_pid(engine: Engine) -> int | None:
    """The pid of the anchoring lease's live holder (holders are ``host:pid:worker``)."""
    with Session(engine) as s:
        lease = s.get(WorkerLease, LEASE_NAME)
    if lease is None or lease.holder is None or lease.expires_at is None:
        return None
    if as_utc(lease.expires_at) < utc_now():
        return None
    return int(lease.holder.split(":")[1])


def _end_acceptance_window(engine: Engine, order_id: int) -> None:
    with Session(engine) as s:
        s.execute(
            update(Order)
            .where(col(Order.id) == order_id)
            .values(accept_by=utc_now() - timedelta(seconds=1))
        )
        s.commit()


def _everything_settled_and_anchored(engine: Engine, orders: list[int]) -> bool:
    with Session(engine) as s:
        open_orders = s.execute(
            select(func.count())
            .select_from(Order)
            .where(col(Order.id).in_(orders), col(Order.status) != "settled")
        ).scalar()
        unanchored = s.execute(
            text(
                "SELECT (SELECT coalesce(max(seq), 0) FROM journal_entry) - coalesce("
                "(SELECT max(last_seq) FROM anchor_batch WHERE status = 'confirmed'), 0)"
            )
        ).scalar()
        unconfirmed = s.execute(
            text("SELECT count(*) FROM anchor_batch WHERE status <> 'confirmed'")
        ).scalar()
    return open_orders == 0 and unanchored == 0 and unconfirmed == 0


def test_four_apis_and_two_workers_on_postgresql(
    scale_engine: tuple[Engine, str],
    anvil_node: AnvilNode,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    engine, url = scale_engine
    chain = connect_anchor_chain(engine, anvil_node.url, recorder_key=RECORDER_KEY,
                                 contract_address=None)  # fmt: skip  # deployed once, recorded
    runtime = Runtime(settings=settings_for(engine), engine=engine)
    make_operator(runtime)
    limit_prefix = f"scale-{uuid.uuid4().hex[:12]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABOURSE_")}
    env.update(
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
        DATABOURSE_MODE="development",
        DATABOURSE_DATABASE_URL=url,
        DATABOURSE_CHAIN_URL=anvil_node.url,
        DATABOURSE_BLOB_URL=f"file://{tmp_path / 'blobs'}",
        DATABOURSE_WORKER_IN_PROCESS="false",
        DATABOURSE_ANCHOR_BATCH_AGE_S="0.2",
        DATABOURSE_ANCHOR_POLL_S="0.1",
        DATABOURSE_SETTLEMENT_POLL_S="0.2",
        DATABOURSE_LOG_LEVEL="WARNING",
        # Abuse-limit counters shared by the four API processes, as at scale (docs/operations.md).
        DATABOURSE_RATE_LIMIT_STORAGE_URL=REDIS_URL,
        DATABOURSE_RATE_LIMIT_KEY_PREFIX=limit_prefix,
    )
    processes = Processes(tmp_path, env)
    tally = Tally()
    try:
        processes.start_apis(API_PROCESSES)
        for i in range(WORKER_PROCESSES):
            processes.start_worker(i)
        processes.wait_healthy()
        urls = processes.api_urls
        with Databourse(urls[0]) as ops:
            ops.identity.login(OPERATOR_EMAIL, PASSWORD)
            supplier = verified_supplier(urls[1], ops, "supplier@scale.test", "Scale Supplier")
            asset_id = listed(supplier, ops, tmp_path)
            listing_id = supplier.listings.create(
                asset_id, offer(asset_id)["terms"], offer(asset_id)["price_model"]
            ).id
            supplier.close()
            market = Market(urls, ops, listing_id, engine)
            threads = [
                threading.Thread(target=_trade, args=(market, i, tally))
                for i in range(BUYER_THREADS)
            ]
            for thread in threads:
                thread.start()
            tally.half_bought.wait(timeout=THREAD_S_MAX)
            stopped = processes.stop_anchoring_worker(engine)  # mid-load: the other takes over
            for thread in threads:
                thread.join(timeout=THREAD_S_MAX)
            assert not any(t.is_alive() for t in threads), "a client thread hung"
        assert not tally.failures, tally.failures
        deadline = time.monotonic() + SETTLE_S_MAX
        while not _everything_settled_and_anchored(engine, tally.orders):
            processes.check_alive()
            assert time.monotonic() < deadline, f"not settled and anchored:\n{processes.logs()}"
            time.sleep(0.2)
        took_over = _lease_holder_pid(engine)  # the worker left running anchors now
        assert took_over is not None
        assert took_over != stopped
    finally:
        processes.stop()
    _assert_gapless(engine)
    batches = assert_anchored_exactly_once(engine, chain)
    _assert_settled_once(engine, tally.orders)
    assert reconciled(engine)
    # The API processes counted sign-ups and logins in the one Redis, not each in its own memory.
    store = redis.Redis.from_url(REDIS_URL)
    try:
        assert list(store.scan_iter(match=f"*{limit_prefix}*", count=1000)), "no shared counters"
    finally:
        store.close()
    chain.close()
    show(
        request.config,
        f"\nscale-out: {API_PROCESSES} API + {WORKER_PROCESSES} worker processes, "
        f"{tally.outcomes.total()} operations {dict(tally.outcomes)}, {len(tally.failures)} "
        f"failed; {len(tally.orders)} orders settled once; {batches} batches anchored once",
    )


def _assert_gapless(engine: Engine) -> None:
    with Session(engine) as s:
        seqs = list(
            s.execute(select(col(JournalEntry.seq)).order_by(col(JournalEntry.seq))).scalars()
        )
    assert seqs == list(range(1, len(seqs) + 1))


def _assert_settled_once(engine: Engine, orders: list[int]) -> None:
    assert len(orders) == BUYER_THREADS * ORDERS_PER_BUYER
    with Session(engine) as s:
        settled = Counter(
            s.execute(
                select(col(JournalEntry.subject)).where(col(JournalEntry.kind) == "order.settled")
            ).scalars()
        )
        released = Counter(
            s.execute(
                select(col(JournalEntry.subject)).where(
                    col(JournalEntry.kind) == "settlement.released"
                )
            ).scalars()
        )
        holds = {
            row.id: row.hold_id
            for row in s.execute(
                select(col(Order.id), col(Order.hold_id)).where(col(Order.id).in_(orders))
            )
        }
    assert {f"order:{o}" for o in orders} == set(settled), "an order was not settled"
    assert set(settled.values()) == {1}, f"settled twice: {settled.most_common(3)}"
    assert all(released[f"hold:{holds[o]}"] == 1 for o in orders), released.most_common(3)
