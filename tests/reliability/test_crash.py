"""Crash consistency (issue 16, point 1): the API runs as a real process (uvicorn, its anchoring,
settlement, payments and execution workers in process) on SQLite and on PostgreSQL, with the
in-process EVM. Several client threads drive a seeded, mixed workload of deposits, withdrawals,
purchases, placements, payments, cancellations, downloads, acceptances, disputes and rulings,
each money-moving request under an ``Idempotency-Key``; every request and its answer is
recorded. The server is killed with SIGKILL at seeded random moments, ``KILLS`` times, and
started again on the same files. Afterwards:

- every request answered 2xx exists exactly once, as it was answered (its stored idempotent
  answer, its payment, order, hold, transfers, dispute);
- no request that failed (connection lost, 5xx, 4xx) left part of its work: a payment, order
  or hold exists only with all its rows and journal entries, and a request with no answer
  stored has no payment;
- the books reconcile (``bourse books reconcile``: zero sum, no negative balance but clearing);
- ``bourse ledger verify`` passes against the pinned contract;
- every journal entry is in exactly one confirmed batch, each batch anchored once.

The seed is printed; ``DATABOURSE_CRASH_SEED=N`` replays its choices and kill moments (the
interleaving of threads is the machine's). The listening socket belongs to the test and is
handed to each server process (``uvicorn --fd``), so the port is never free for another test to
take between a kill and the restart.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from sqlalchemy import func, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, select

from ledger.models import AnchorBatch, BatchStatus, JournalEntry, JournalHead, as_utc
from marketplace.books.models import (
    BookAccount,
    BookTransfer,
    Hold,
    OutboxStatus,
    Payment,
    PaymentOutbox,
)
from marketplace.cli.assets import demo as asset_demo
from marketplace.cli.trading_demo import PURPOSE, _terms
from marketplace.client import Databourse
from marketplace.db import make_engine
from marketplace.disputes.models import Dispute
from marketplace.idempotency.models import IdempotencyRecord
from marketplace.orders.models import Order

BOURSE = Path(sys.executable).with_name("bourse")
REPO = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("DATABOURSE_TEST_POSTGRES_URL")
SEED_VARIABLE = "DATABOURSE_CRASH_SEED"

KILLS = 20
UP_S_MIN, UP_S_MAX = 0.5, 2.0  # how long the server serves between two kills
BUYERS = 3
PASSWORD = "crash-password-2026"
PRICES_MINOR = (30_000, 45_000)  # two fixed-price listings: 300.00 and 450.00 CNY
START_S_MAX = 30.0
SETTLE_S_MAX = 45.0  # after the last restart: payments final, every entry anchored
REQUEST_TIMEOUT_S = 30.0  # a request queued while the server restarts is answered, not lost
FUNDS_MINOR = 500_000  # each buyer's deposit before the kills begin
CLI_TIMEOUT_S = 60.0
UNHELD = ("placed", "cancelled", "expired")  # order states that never held money


# ------------------------------------------------------------------------------ the server


class Server:
    """The API on a socket the test holds, each start a process forked by
    ``server_zygote.py`` (the app imported once); killed and started again on the same files."""

    def __init__(self, root: Path, database_url: str) -> None:
        self.root = root
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = int(self.listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        var = root / "var"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DATABOURSE_")}
        self.env.update(
            DATABOURSE_DATABASE_URL=database_url,
            DATABOURSE_CHAIN_URL=f"eth-tester://{var / 'chain'}",
            DATABOURSE_BLOB_URL=f"file://{var / 'blobs'}",
            DATABOURSE_PUBLIC_URL=self.url,
            DATABOURSE_WORKER_IN_PROCESS="true",
            DATABOURSE_EVIDENCE_PERIOD_S="1",
            DATABOURSE_APPEAL_WINDOW_S="1",
            DATABOURSE_SETTLEMENT_POLL_S="0.2",
            DATABOURSE_ANCHOR_BATCH_AGE_S="0.2",
            DATABOURSE_ANCHOR_POLL_S="0.1",
            DATABOURSE_ANCHOR_LEASE_S="1",
            DATABOURSE_LOG_LEVEL="WARNING",
            PYTHONPATH=str(REPO),
        )
        self.pid: int | None = None
        self.starts = 0
        self._zygote: subprocess.Popen[str] | None = None
        self._log: IO[bytes] = (root / "server.log").open("ab")

    def bourse(self, *args: str) -> str:
        """``bourse ARGS`` on this exchange's files (the server-side commands)."""
        run = subprocess.run(  # noqa: S603 -- our own console script, fixed arguments
            [str(BOURSE), *args], cwd=self.root, env=self.env, capture_output=True, text=True,
            timeout=CLI_TIMEOUT_S, check=False,
        )  # fmt: skip
        assert run.returncode == 0, f"bourse {' '.join(args)}:\n{run.stdout}{run.stderr}"
        return run.stdout

    def start(self) -> None:
        assert self.pid is None
        self.starts += 1
        self._log.write(f"--- start {self.starts} at {datetime.now(UTC)}\n".encode())
        self._log.flush()
        if self._zygote is None:
            fd = self.listener.fileno()
            self._zygote = subprocess.Popen(  # noqa: S603 -- the interpreter running the tests
                [sys.executable, "-m", "tests.reliability.server_zygote", str(fd)],
                cwd=self.root, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=self._log, pass_fds=(fd,), text=True,
            )  # fmt: skip
        assert self._zygote.stdin is not None
        assert self._zygote.stdout is not None
        self._zygote.stdin.write("start\n")
        self._zygote.stdin.flush()
        self.pid = int(self._zygote.stdout.readline())

    def alive(self) -> bool:
        if self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_S_MAX
        while time.monotonic() < deadline:
            assert self.alive(), f"the server exited:\n{self.log()[-4000:]}"
            try:
                if httpx.get(f"{self.url}/health", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"no answer within {START_S_MAX:.0f} s:\n{self.log()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no rollback but the database's own on next open."""
        self._signal(signal.SIGKILL, 10.0)

    def stop(self) -> None:
        if self.pid is not None and not self._signal(signal.SIGINT, 20.0, check=False):
            self._signal(signal.SIGKILL, 10.0)

    def _signal(self, signum: int, wait_s: float, *, check: bool = True) -> bool:
        """Send ``signum``; True once the process is gone (the zygote's kernel reaps it)."""
        assert self.pid is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)
        deadline = time.monotonic() + wait_s
        while self.alive():
            if time.monotonic() > deadline:
                assert not check, f"server {self.pid} outlived signal {signum}"
                return False
            time.sleep(0.01)
        self.pid = None
        return True

    def close(self) -> None:
        self.stop()
        if self._zygote is not None:
            assert self._zygote.stdin is not None
            self._zygote.stdin.close()
            self._zygote.wait(timeout=10)
            assert self._zygote.stdout is not None
            self._zygote.stdout.close()
        self._log.close()
        self.listener.close()

    def log(self) -> str:
        return (self.root / "server.log").read_text(errors="replace")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        (tmp_path / "var").mkdir()
        yield f"sqlite:///{tmp_path / 'var' / 'databourse.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("DATABOURSE_TEST_POSTGRES_URL is not set")
    name = f"crash_{os.getpid()}_{secrets.token_hex(4)}"
    admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    running = Server(tmp_path, database_url)
    if not database_url.startswith("sqlite"):
        running.bourse("db", "upgrade")
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def seed() -> int:
    chosen = int(os.environ.get(SEED_VARIABLE) or random.SystemRandom().randrange(2**32))
    print(f"crash seed {chosen}: replay with {SEED_VARIABLE}={chosen}")  # noqa: T201
    return chosen


# ------------------------------------------------------------------------------ the record


Member = tuple[str, int]  # a bearer token, and its organisation's id


@dataclass
class Call:
    """One request as sent and as answered (``status`` 0: no answer, the connection was lost)."""

    actor: str
    org_id: int
    op: str
    route: str  # "POST /orders/{order_id}/pay", as the idempotency record names it
    path: str
    key: str | None
    body: dict[str, Any] | None
    status: int = 0
    answer: Any = None
    retry_of: int | None = None  # the index of the call whose key this one sends again


@dataclass
class Record:
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, call: Call) -> int:
        with self.lock:
            self.calls.append(call)
            return len(self.calls) - 1


class Party:
    """A logged-in organisation driving requests through its own HTTP connection; every
    write is recorded; a request that finds the server dead waits for the next start."""

    def __init__(
        self, name: str, server: Server, member: Member, record: Record, serving: threading.Event
    ) -> None:
        self.name = name
        self.record = record
        self.serving = serving
        token, self.org_id = member
        self.http = httpx.Client(
            base_url=server.url,
            timeout=REQUEST_TIMEOUT_S,
            headers={"Authorization": f"Bearer {token}"},
        )

    def close(self) -> None:
        self.http.close()

    def send(
        self,
        op: str,
        route: str,
        path: str,
        *,
        key: str | None,
        body: dict[str, Any] | None = None,
        retry_of: int | None = None,
    ) -> tuple[int, Call]:
        call = Call(self.name, self.org_id, op, route, path, key, body, retry_of=retry_of)
        headers = {"Idempotency-Key": key} if key else {}
        try:
            response = self.http.post(path, json=body, headers=headers)
        except httpx.TransportError:
            return self.record.add(call), call  # status 0: no answer
        call.status = response.status_code
        try:
            call.answer = response.json()
        except ValueError:  # not JSON (a proxy's or a crashed handler's page): kept as text
            call.answer = {"text": response.text[:500]}
        return self.record.add(call), call

    def read(self, path: str, **params: Any) -> Any:
        """A GET, retried across restarts (reads are not the object of the test)."""
        for _ in range(3):
            try:
                response = self.http.get(path, params=params)
                if response.status_code < 500:
                    return response.json()
            except (httpx.TransportError, ValueError):
                pass
            self.serving.wait(timeout=START_S_MAX)
        return None


# ------------------------------------------------------------------------------ the workload


def _key(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


class Buyer:
    """A buyer organisation's seeded choice of its next request, given its orders as they are."""

    def __init__(self, party: Party, listing_ids: list[int], rng: random.Random) -> None:
        self.party = party
        self.listing_ids = listing_ids
        self.rng = rng
        self.n = 0

    def step(self) -> None:
        self.n += 1
        orders = self.party.read("/orders", limit=100)
        if orders is None:
            return
        by_status: dict[str, list[int]] = {}
        for order in orders["items"]:
            by_status.setdefault(order["status"], []).append(order["id"])
        choices: list[tuple[str, int]] = [("deposit", 4), ("buy", 4), ("place", 1)]
        choices += [("withdraw", 1)]
        if by_status.get("placed"):
            choices += [("pay", 2), ("cancel", 1)]
        if by_status.get("paid"):
            choices += [("download", 4), ("dispute", 1)]
        if by_status.get("delivered"):
            choices += [("accept", 3), ("dispute", 1)]
        op = self.rng.choices([c[0] for c in choices], [c[1] for c in choices])[0]
        getattr(self, op)(by_status)

    def _money(self, op: str, path: str, amount_minor: int) -> None:
        body = {"amount_minor": amount_minor, "transfer_id": f"{self.party.name}-{self.n}"}
        self._keyed(op, f"POST {path}", path, body)

    def _keyed(self, op: str, route: str, path: str, body: dict[str, Any] | None = None) -> None:
        key = _key(self.rng)
        index, call = self.party.send(op, route, path, key=key, body=body)
        if call.status == 0 and self.rng.random() < 0.5:
            # The answer was lost: a careful client sends the same request with the same key.
            self.party.serving.wait(timeout=START_S_MAX)
            self.party.send(op, route, path, key=key, body=body, retry_of=index)

    def deposit(self, _: dict[str, list[int]]) -> None:
        self._money("deposit", "/books/deposits", self.rng.randrange(50_000, 150_000))

    def withdraw(self, _: dict[str, list[int]]) -> None:
        self._money("withdraw", "/books/withdrawals", self.rng.randrange(1_000, 30_000))

    def buy(self, _: dict[str, list[int]]) -> None:
        body = {"listing_id": self.rng.choice(self.listing_ids), "purpose": PURPOSE}
        self._keyed("buy", "POST /orders/purchase", "/orders/purchase", body)

    def place(self, _: dict[str, list[int]]) -> None:
        body = {"listing_id": self.rng.choice(self.listing_ids), "purpose": PURPOSE}
        self._keyed("place", "POST /orders", "/orders", body)

    def pay(self, by_status: dict[str, list[int]]) -> None:
        order_id = self.rng.choice(by_status["placed"])
        self._keyed("pay", "POST /orders/{order_id}/pay", f"/orders/{order_id}/pay")

    def cancel(self, by_status: dict[str, list[int]]) -> None:
        order_id = self.rng.choice(by_status["placed"])
        path = f"/orders/{order_id}/cancel"
        self.party.send("cancel", "POST /orders/{order_id}/cancel", path, key=None)

    def download(self, by_status: dict[str, list[int]]) -> None:
        order_id = self.rng.choice(by_status["paid"])
        licences = self.party.read("/licences")
        if licences is None:
            return
        for licence in licences["items"]:
            if licence["order_id"] == order_id:
                path = f"/licences/{licence['id']}/download-url"
                route = "POST /licences/{licence_id}/download-url"
                self.party.send("download", route, path, key=None)

    def accept(self, by_status: dict[str, list[int]]) -> None:
        order_id = self.rng.choice(by_status["delivered"])
        self._keyed("accept", "POST /orders/{order_id}/accept", f"/orders/{order_id}/accept")

    def dispute(self, by_status: dict[str, list[int]]) -> None:
        order_id = self.rng.choice(by_status.get("paid", []) + by_status.get("delivered", []))
        body = {"reason": "not_as_described", "statement": f"crash test {self.party.name}"}
        path = f"/orders/{order_id}/disputes"
        self._keyed("dispute", "POST /orders/{order_id}/disputes", path, body)


class Arbitrator:
    """Rules each dispute assigned to it once its submissions have closed."""

    def __init__(self, party: Party, rng: random.Random) -> None:
        self.party = party
        self.rng = rng

    def step(self) -> None:
        page = self.party.read("/disputes", limit=100)
        if page is None:
            return
        now = datetime.now(UTC)
        for dispute in page["items"]:
            closes = datetime.fromisoformat(dispute["evidence_closes_at"])
            if dispute["status"] != "open" or closes.astimezone(UTC) > now:
                continue
            outcome = self.rng.choice(["release", "refund", "split"])
            body: dict[str, Any] = {"outcome": outcome, "reasons": "crash test ruling"}
            if outcome == "split":
                body["supplier_bp"] = self.rng.randrange(0, 10_001)
            path = f"/disputes/{dispute['id']}/ruling"
            self.party.send("rule", "POST /disputes/{dispute_id}/ruling", path, key=None, body=body)
        time.sleep(0.2)  # a human's pace; nothing waits on it


def _drive(step: Any, stop: threading.Event, errors: list[BaseException]) -> None:
    try:
        while not stop.is_set():
            step()
    except BaseException as exc:  # noqa: BLE001 -- reported by the test, not lost in the thread
        errors.append(exc)


# ------------------------------------------------------------------------------ set-up


@dataclass
class Market:
    members: dict[str, Member]  # each party's bearer token and organisation
    listing_ids: list[int]


def _market(server: Server, workdir: Path) -> Market:
    """An operator, a supplier with two fixed-price listings, ``BUYERS`` buyers with
    ``FUNDS_MINOR`` each and an arbitrator, all verified, over the API (the operator made by
    ``bourse operator create``)."""
    emails = {"operator": "operator@crash.example.org", "supplier": "supplier@crash.example.org"}
    emails["arbitrator"] = "arbitrator@arbiters.example.org"
    emails |= {f"buyer{i}": f"buyer{i}@crash.example.org" for i in range(BUYERS)}
    server.bourse(
        "operator", "create", "--email", emails["operator"], "--password", PASSWORD,
        "--organization", "Crash operations",
    )  # fmt: skip
    operator = Databourse(server.url, timeout_s=REQUEST_TIMEOUT_S)
    logged_in = operator.identity.login(emails["operator"], PASSWORD)
    members = {"operator": (logged_in.access_token, operator.identity.me().organization.id)}
    for name, email in emails.items():
        if name == "operator":
            continue
        roles = ["supplier"] if name == "supplier" else [] if name == "arbitrator" else ["buyer"]
        with Databourse(server.url, timeout_s=REQUEST_TIMEOUT_S) as signed:
            token = signed.identity.signup(
                email, PASSWORD, organization=f"Crash {name}", roles=roles
            ).access_token
            members[name] = (token, signed.identity.me().organization.id)
        operator.identity.verify_organization(members[name][1])
        if name == "arbitrator":
            operator.identity.grant_role(members[name][1], "arbitrator")
    supplier = Databourse(server.url, token=members["supplier"][0], timeout_s=REQUEST_TIMEOUT_S)
    asset_demo(supplier, operator, workdir)
    (asset,) = supplier.assets.search(owner=members["supplier"][1]).items
    listing_ids = [
        supplier.listings.create(
            asset.id, _terms(exclusive=False), {"kind": "fixed", "amount_minor": price}
        ).id
        for price in PRICES_MINOR
    ]
    for name, (token, _) in members.items():
        if name.startswith("buyer"):
            with Databourse(server.url, token=token, timeout_s=REQUEST_TIMEOUT_S) as buyer:
                buyer.books.deposit(FUNDS_MINOR)
    supplier.close()
    operator.close()
    return Market(members, listing_ids)


# ------------------------------------------------------------------------------ the run


@dataclass
class Run:
    record: Record
    kills: int
    seconds: float


def _run(server: Server, market: Market, seed: int) -> Run:
    rng = random.Random(seed)
    record = Record()
    serving = threading.Event()
    serving.set()
    parties = {
        name: Party(name, server, member, record, serving)
        for name, member in market.members.items()
        if name.startswith("buyer") or name == "arbitrator"
    }
    actors: list[Buyer | Arbitrator] = [
        Buyer(parties[f"buyer{i}"], market.listing_ids, random.Random(rng.getrandbits(64)))
        for i in range(BUYERS)
    ]
    actors.append(Arbitrator(parties["arbitrator"], random.Random(rng.getrandbits(64))))
    stop = threading.Event()
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_drive, args=(actor.step, stop, errors), daemon=True)
        for actor in actors
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(UP_S_MIN, UP_S_MAX))  # the seeded moment of the kill
            serving.clear()
            server.kill()
            server.start()
            server.wait_healthy()
            serving.set()
        time.sleep(UP_S_MAX)  # the last start serves a while too
    finally:
        stop.set()
        serving.set()
        for thread in threads:
            thread.join(timeout=3 * REQUEST_TIMEOUT_S)
        for party in parties.values():
            party.close()
    assert errors == [], f"a client thread failed: {errors!r}"
    return Run(record, KILLS, time.monotonic() - started)


def _unfinished(engine: Engine) -> str:
    """What the server still has to do (empty when nothing): payments not final, rulings not
    executed, journal entries in no confirmed batch. A payment whose provider call a killed
    process had claimed is not waited for: its claim lapses after
    ``limits.books_payment_claim_s`` (120 s) and the worker then finishes it (docs/books.md)."""
    with Session(engine) as s:
        rulings = s.exec(
            select(func.count())
            .select_from(Dispute)
            .where(col(Dispute.status).in_(["ruled", "appealed", "final"]))
        ).one()
        payments = [p for p in _open_payments(s) if not _claimed_by_the_dead(s, p)]
        head = s.get(JournalHead, 1)
        confirmed = s.exec(
            select(func.max(AnchorBatch.last_seq)).where(
                AnchorBatch.status == BatchStatus.confirmed
            )
        ).one()
    last_seq = head.last_seq if head is not None else 0
    left = [f"{len(payments)} payments not final"] if payments else []
    left += [f"{rulings} rulings not executed"] if rulings else []
    if (confirmed or 0) != last_seq:
        left.append(f"entries {(confirmed or 0) + 1}..{last_seq} not anchored")
    return ", ".join(left)


def _open_payments(s: Session) -> list[Payment]:
    return list(s.exec(select(Payment).where(col(Payment.status).in_(["pending", "processing"]))))


def _claimed_by_the_dead(s: Session, payment: Payment) -> bool:
    """The payment's provider call is claimed, and its claim outlived the process (the server
    that claimed it was killed: only the claim's lapse frees it)."""
    outbox = s.get(PaymentOutbox, payment.id)
    return (
        outbox is not None
        and outbox.status == OutboxStatus.sending
        and outbox.claimed_until is not None
        and as_utc(outbox.claimed_until) > datetime.now(UTC)
    )


def _settle_and_stop(server: Server, engine: Engine) -> None:
    """Wait until nothing is left to do, stop the server, and make sure of it: a job may have
    written between the last look and the stop, and the next start then finishes it."""
    for _ in range(3):
        _wait_settled(server, engine)
        server.stop()
        if not _unfinished(engine):
            return
        server.start()
        server.wait_healthy()
    raise AssertionError("the server keeps writing entries after it has nothing left to do")


def _wait_settled(server: Server, engine: Engine) -> None:
    deadline = time.monotonic() + SETTLE_S_MAX
    while left := _unfinished(engine):
        assert time.monotonic() < deadline, (
            f"{left} {SETTLE_S_MAX:.0f} s after the last start:\n{server.log()[-4000:]}"
        )
        time.sleep(0.2)


@pytest.mark.slow
def test_killed_server_loses_no_answered_request_and_leaves_nothing_half_done(
    server: Server, database_url: str, seed: int, tmp_path: Path
) -> None:
    began = time.monotonic()
    server.start()
    server.wait_healthy()
    workdir = tmp_path / "work"
    workdir.mkdir()
    market = _market(server, workdir)
    set_up = time.monotonic()
    run = _run(server, market, seed)
    engine = make_engine(database_url)
    try:
        _settle_and_stop(server, engine)
        settled = time.monotonic()
        with Session(engine) as s:
            problems = _check(s, run.record.calls)
            owed = len(_open_payments(s))
    finally:
        engine.dispose()
    _report(run, problems, seed)
    print(  # noqa: T201
        f"crash run phases: set-up {set_up - began:.0f} s, workload {run.seconds:.0f} s, "
        f"settling {settled - set_up - run.seconds:.0f} s; {owed} payments wait for a killed "
        "server's claim to lapse"
    )
    assert problems == [], f"seed {seed}: " + "\n".join(problems[:50])
    assert _reconciled(server, market) == []
    trust = tmp_path / "trust.json"
    trust.write_text(server.bourse("ledger", "info", "--json"))
    verified = server.bourse("ledger", "verify", "--trust", str(trust))
    assert verified.startswith("ok:"), verified
    assert _errors_logged(server.log()) == []


def _reconciled(server: Server, market: Market) -> list[str]:
    """The operator's reconciliation (``bourse books reconcile``) on a server started again."""
    server.start()
    server.wait_healthy()
    token = market.members["operator"][0]
    with Databourse(server.url, token=token, timeout_s=REQUEST_TIMEOUT_S) as operator:
        books = operator.books.reconcile()
    server.stop()
    return [*books.problems, *([] if books.total_minor == 0 else ["the books do not sum to 0"])]


def _report(run: Run, problems: list[str], seed: int) -> None:
    statuses = Counter(
        "2xx" if 200 <= c.status < 300 else "lost" if c.status == 0 else f"{c.status // 100}xx"
        for c in run.record.calls
    )
    ops = Counter(c.op for c in run.record.calls)
    retries = sum(c.retry_of is not None for c in run.record.calls)
    print(  # noqa: T201 -- the figures docs/reliability.md quotes
        f"crash run seed {seed}: {len(run.record.calls)} requests in {run.seconds:.0f} s, "
        f"{run.kills} kills; answers {dict(statuses)}; operations {dict(ops)}; {retries} sent "
        "again with their key after a lost answer; "
        f"{len(problems)} problems"
    )


# ------------------------------------------------------------------------------ the checks


def _check(s: Session, calls: list[Call]) -> list[str]:
    problems: list[str] = []
    problems += _check_no_server_errors(calls)
    problems += _check_answers_stored(s, calls)
    problems += _check_payments(s, calls)
    problems += _check_orders(s)
    problems += _check_holds_and_transfers(s)
    problems += _check_disputes(s, calls)
    problems += _check_books(s)
    problems += _check_anchoring(s)
    return problems


def _check_no_server_errors(calls: list[Call]) -> list[str]:
    return [f"{c.actor} {c.op} {c.path}: {c.status} {c.answer}" for c in calls if c.status >= 500]


def _stored(s: Session, call: Call) -> IdempotencyRecord | None:
    return s.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.organization_id == call.org_id,
            IdempotencyRecord.route == call.route,
            IdempotencyRecord.key == call.key,
        )
    ).one_or_none()


def _check_answers_stored(s: Session, calls: list[Call]) -> list[str]:
    """A keyed request answered is stored once, with the very answer the client got."""
    problems = []
    for c in calls:
        if c.key is None or c.status == 0 or c.status >= 500 or c.status in (408, 429):
            continue
        if c.answer.get("error") == "idempotency_in_flight":
            continue
        stored = _stored(s, c)
        if stored is None or stored.response_body is None:
            problems.append(f"{c.actor} {c.op} {c.key}: answered {c.status}, nothing stored")
        elif (stored.response_status, json.loads(stored.response_body)) != (c.status, c.answer):
            problems.append(f"{c.actor} {c.op} {c.key}: stored answer differs from the one sent")
    return problems


def _check_payments(s: Session, calls: list[Call]) -> list[str]:
    """A deposit or withdrawal exists once if answered 2xx (or its answer was stored and lost);
    none exists for one refused or never answered."""
    problems = []
    by_transfer: dict[str, list[Call]] = {}
    for c in calls:
        if c.op in ("deposit", "withdraw"):
            assert c.body is not None
            by_transfer.setdefault(f"org:{c.org_id}:{c.body['transfer_id']}", []).append(c)
    for transfer_id, sent in by_transfer.items():
        payments = s.exec(select(Payment).where(Payment.transfer_id == transfer_id)).all()
        stored = _stored(s, sent[0])
        done = stored is not None and stored.response_status == 201
        answered = [c for c in sent if 200 <= c.status < 300]
        if answered or done:
            if len(payments) != 1:
                problems.append(f"payment {transfer_id}: {len(payments)} rows, answered 2xx")
                continue
            payment = payments[0]
            ids = {c.answer["id"] for c in answered}
            if ids - {payment.id}:
                problems.append(f"payment {transfer_id}: answered {ids}, stored {payment.id}")
            problems += _payment_complete(s, payment)
        elif payments:
            problems.append(f"payment {transfer_id}: exists, but its request never succeeded")
    for payment in s.exec(select(Payment)):
        problems += _payment_complete(s, payment)
    return sorted(set(problems))


def _payment_complete(s: Session, payment: Payment) -> list[str]:
    own = [payment.transfer_id, f"payment:{payment.id}:payout", f"payment:{payment.id}:return"]
    moved = {
        t.transfer_id: t
        for t in s.exec(select(BookTransfer).where(col(BookTransfer.transfer_id).in_(own)))
    }
    name = f"payment {payment.id} ({payment.direction}, {payment.status})"
    want: list[str] = []
    if payment.direction == "withdrawal":
        want.append(payment.transfer_id)
        if payment.status == "confirmed":
            want.append(f"payment:{payment.id}:payout")
        if payment.status == "failed":
            want.append(f"payment:{payment.id}:return")
    elif payment.status == "confirmed":
        want.append(payment.transfer_id)
    problems = [f"{name}: no transfer {t}" for t in want if t not in moved]
    problems += [f"{name}: unexpected transfer {t}" for t in moved if t not in want]
    for seq in (payment.requested_seq, payment.confirmed_seq, payment.failed_seq):
        if seq is not None and s.get(JournalEntry, seq) is None:
            problems.append(f"{name}: journal entry {seq} missing")
    outbox = s.get(PaymentOutbox, payment.id)
    if payment.status == "pending" and (outbox is None or outbox.status == OutboxStatus.done):
        problems.append(f"{name}: not final, and no provider call owed for it")
    return problems


def _check_orders(s: Session) -> list[str]:
    """An order is all there or not at all: its placement entry, and its hold once paid."""
    problems = []
    for order in s.exec(select(Order)):
        name = f"order {order.id} ({order.status})"
        placed = s.get(JournalEntry, order.placed_seq)
        if placed is None or placed.kind != "order.placed" or placed.subject != f"order:{order.id}":
            problems.append(f"{name}: no order.placed entry")
        if order.status in UNHELD:
            if order.hold_id is not None:
                problems.append(f"{name}: holds {order.hold_id}, never paid")
            continue
        hold = s.get(Hold, order.hold_id) if order.hold_id is not None else None
        if hold is None or hold.transfer_id != f"order-{order.id}-pay":
            problems.append(f"{name}: no escrow hold")
            continue
        if hold.amount_minor != order.price_minor:
            problems.append(f"{name}: hold of {hold.amount_minor}, price {order.price_minor}")
        want_hold = {"paid": "pending", "delivered": "pending", "disputed": "pending"}
        want_hold |= {"settled": "posted", "refunded": "voided", "partially_refunded": "posted"}
        if order.status in want_hold and hold.status != want_hold[order.status]:
            problems.append(f"{name}: hold {hold.id} is {hold.status}")
    return problems


def _check_holds_and_transfers(s: Session) -> list[str]:
    """Each hold has its transfer and entry; each transfer its entry."""
    problems = []
    seqs = set(s.exec(select(JournalEntry.seq)))
    transfers = {t.transfer_id: t for t in s.exec(select(BookTransfer))}
    for hold in s.exec(select(Hold)):
        moved = transfers.get(hold.transfer_id)
        if moved is None or moved.hold_id != hold.id or moved.seq != hold.held_seq:
            problems.append(f"hold {hold.id} ({hold.reference}): no transfer at its entry")
        if hold.held_seq not in seqs or (
            hold.closed_seq is not None and hold.closed_seq not in seqs
        ):
            problems.append(f"hold {hold.id}: its journal entries are missing")
    problems += [
        f"transfer {t.transfer_id}: entry {t.seq} missing"
        for t in transfers.values()
        if t.seq not in seqs
    ]
    return problems


def _check_disputes(s: Session, calls: list[Call]) -> list[str]:
    problems = []
    for c in calls:
        if c.op == "dispute" and 200 <= c.status < 300:
            dispute = s.get(Dispute, c.answer["id"])
            if dispute is None or dispute.order_id != int(c.path.split("/")[2]):
                problems.append(f"dispute {c.answer['id']}: answered, not stored")
    opened = Counter(d.order_id for d in s.exec(select(Dispute)))
    problems += [f"order {o}: {n} disputes" for o, n in opened.items() if n > 1]
    return problems


def _check_books(s: Session) -> list[str]:
    accounts = list(s.exec(select(BookAccount)))
    problems = []
    if sum(a.balance_minor for a in accounts) != 0:
        problems.append("the books do not sum to zero")
    problems += [
        f"account {a.key} is negative ({a.balance_minor})"
        for a in accounts
        if a.balance_minor < 0 and a.kind != "clearing"
    ]
    return problems


def _check_anchoring(s: Session) -> list[str]:
    """Seqs 1..last, each in exactly one confirmed batch, each batch on its own transaction."""
    head = s.get(JournalHead, 1)
    last_seq = head.last_seq if head is not None else 0
    seqs = list(s.exec(select(JournalEntry.seq).order_by(col(JournalEntry.seq))))
    problems = [] if seqs == list(range(1, last_seq + 1)) else ["the journal's seqs have gaps"]
    batches = list(s.exec(select(AnchorBatch).order_by(col(AnchorBatch.first_seq))))
    expected = 1
    for batch in batches:
        if batch.first_seq != expected:
            problems.append(f"batch {batch.id} starts at {batch.first_seq}, not {expected}")
        if batch.status != BatchStatus.confirmed:
            problems.append(f"batch {batch.id} is {batch.status}")
        expected = batch.last_seq + 1
    if expected != last_seq + 1:
        problems.append(f"entries {expected}..{last_seq} are in no batch")
    tx_hashes = Counter(b.tx_hash for b in batches)
    problems += [f"transaction {tx} anchors {n} batches" for tx, n in tx_hashes.items() if n > 1]
    return problems


def _errors_logged(log: str) -> list[str]:
    """The server's log lines at ERROR or above, and tracebacks."""
    found = [line for line in log.splitlines() if "Traceback" in line]
    for line in log.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("level") in ("ERROR", "CRITICAL"):
                found.append(line)
    return found
