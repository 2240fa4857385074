"""Crash safety of a ruling's execution (issue 14): the real server (``bourse serve``, its
execution job in process) is killed with SIGKILL as the ruling's appeal window ends, or a moment
after, and started again on the same database; the ruling then executes once, never twice.

The case is ``bourse demo``'s dispute, driven over HTTP with the Python client through the
demo's own steps (``marketplace/cli/dispute_demo.py``): a supplier lists an asset, a buyer pays
an order, re-checks the data, opens a dispute; both sides state; the one arbitrator rules a 60/40
split once submissions close."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TypeVar

import httpx
import pytest

from marketplace.cli import dispute_demo
from marketplace.cli.assets import demo as asset_demo
from marketplace.cli.trading_demo import PURPOSE, _terms
from marketplace.cli.valuation import demo as valuation_demo
from marketplace.client import Databourse
from tests.servers import BOURSE, Listener, loopback_listener

T = TypeVar("T")

PASSWORD = "crash-password-2026"
PRICE_MINOR = 150_000  # 1,500.00 CNY
EVIDENCE_PERIOD_S = 3
APPEAL_WINDOW_S = 2
WORKER_POLL_S = 0.2
START_S_MAX = 30.0
EXECUTION_WAIT_S_MAX = 20.0
CLI_TIMEOUT_S = 60.0


class Exchange:
    """``bourse serve`` on the test's listening socket (``tests/servers.py``), its database,
    chain and blobs under ``root``; started again on the same socket and files after a kill.
    Its output goes to ``root/server.log``."""

    def __init__(self, root: Path, listener: Listener) -> None:
        self.root = root
        self.listener = listener
        self.url = listener.url
        var = root / "var"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DATABOURSE_")}
        self.env.update(
            DATABOURSE_DATABASE_URL=f"sqlite:///{var / 'databourse.db'}",
            DATABOURSE_CHAIN_URL=f"eth-tester://{var / 'chain'}",
            DATABOURSE_BLOB_URL=f"file://{var / 'blobs'}",
            DATABOURSE_PUBLIC_URL=self.url,
            DATABOURSE_HOST="127.0.0.1",
            DATABOURSE_WORKER_IN_PROCESS="true",
            DATABOURSE_EVIDENCE_PERIOD_S=str(EVIDENCE_PERIOD_S),
            DATABOURSE_APPEAL_WINDOW_S=str(APPEAL_WINDOW_S),
            DATABOURSE_SETTLEMENT_POLL_S=str(WORKER_POLL_S),
            DATABOURSE_ANCHOR_BATCH_AGE_S="0.2",
            DATABOURSE_ANCHOR_POLL_S="0.1",
            DATABOURSE_LOG_LEVEL="WARNING",
        )
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.starts = 0
        self.clients: list[Databourse] = []

    def bourse(self, *args: str) -> str:
        """Run ``bourse ARGS`` against this exchange's files (the server-side commands)."""
        run = subprocess.run(  # noqa: S603 -- our own console script, fixed arguments
            [str(BOURSE), *args], cwd=self.root, env=self.env, capture_output=True, text=True,
            timeout=CLI_TIMEOUT_S, check=False,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        return run.stdout

    def start(self) -> None:
        """Start the server; return as soon as the process exists (``wait_healthy`` next)."""
        assert self.process is None
        self.starts += 1
        self._log = (self.root / "server.log").open("ab")
        self._log.write(f"--- start {self.starts} at {datetime.now(UTC)}\n".encode())
        self._log.flush()
        self.process = self.listener.serve(cwd=self.root, env=self.env, stdout=self._log)

    def wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_S_MAX
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited:\n{self.log()[-4000:]}"
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(
            f"the server did not answer within {START_S_MAX:.0f} s:\n{self.log()[-4000:]}"
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no rollback but SQLite's own on the next open."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        for bourse in self.clients:
            bourse.close()
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        return (self.root / "server.log").read_text(errors="replace")

    def anonymous(self) -> Databourse:
        bourse = Databourse(self.url, timeout_s=15.0)
        self.clients.append(bourse)
        return bourse

    def client(self, email: str) -> Databourse:
        bourse = self.anonymous()
        bourse.identity.login(email, PASSWORD)
        return bourse


@pytest.fixture
def exchange(tmp_path: Path) -> Iterator[Exchange]:
    with loopback_listener() as listener:
        running = Exchange(tmp_path, listener)
        try:
            yield running
        finally:
            running.stop()


def _parties(exchange: Exchange) -> dict[str, str]:
    """An operator (``bourse operator create``, as on a fresh exchange), a supplier, a buyer
    and an arbitrator, verified; returns each role's email."""
    emails = {role: f"{role}@crash.example.org" for role in ("operator", "supplier", "buyer")}
    emails["arbitrator"] = "arbitrator@arbiters.example.org"
    exchange.bourse(
        "operator", "create", "--email", emails["operator"], "--password", PASSWORD,
        "--organization", "Crash operations",
    )  # fmt: skip
    operator = exchange.client(emails["operator"])
    for role, org, roles in (
        ("supplier", "Crash Fruit Cooperative", ["supplier"]),
        ("buyer", "Crash Analytics Ltd", ["buyer"]),
        ("arbitrator", "Crash Arbitration Chamber", []),
    ):
        signed = exchange.anonymous()
        signed.identity.signup(emails[role], PASSWORD, organization=org, roles=roles)
        org_id = signed.identity.me().organization.id
        operator.identity.verify_organization(org_id)
        if role == "arbitrator":
            operator.identity.grant_role(org_id, "arbitrator")
    return emails


def _ruled_case(exchange: Exchange, emails: dict[str, str], workdir: Path) -> tuple[int, datetime]:
    """The demo's dispute up to the ruling; returns the dispute and its appeal deadline."""
    supplier, buyer = exchange.client(emails["supplier"]), exchange.client(emails["buyer"])
    arbitrator, operator = (
        exchange.client(emails["arbitrator"]),
        exchange.client(emails["operator"]),
    )
    asset_demo(supplier, operator, workdir)
    supplier_org = supplier.identity.me().organization.id
    (asset,) = supplier.assets.search(owner=supplier_org).items
    valuation_demo(supplier, asset.id)  # waits for the quality report the re-check compares with
    listing = supplier.listings.create(
        asset.id, _terms(exclusive=False), {"kind": "fixed", "amount_minor": PRICE_MINOR}
    )
    order = buyer.orders.place(listing.id, purpose=PURPOSE)
    # The supplier's arbitration fee, held with its first submission.
    supplier.books.deposit(dispute_demo.FEE_ALLOWANCE_MINOR)
    check = _run_step(dispute_demo.buy_and_recheck(buyer, asset.id, order, workdir))
    dispute, _ = _run_step(dispute_demo.open_and_argue(supplier, buyer, order.id, check))
    for _ in dispute_demo.wait_until(dispute.evidence_closes_at, "submissions to close"):
        pass
    _, appeal_closes_at = _run_step(dispute_demo.rule(arbitrator, dispute.id))
    return dispute.id, appeal_closes_at


def _run_step(steps: Generator[tuple[str, str], None, T]) -> T:
    """Run one of the demo's steps to its end, dropping what it says; its return value."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            value: T = done.value
            return value


def _sleep_until(moment: datetime, extra_s: float = 0.0) -> None:
    left = (moment - datetime.now(UTC)).total_seconds() + extra_s
    if left > 0:
        time.sleep(left)


def _wait_executed(buyer: Databourse, dispute_id: int) -> None:
    deadline = time.monotonic() + EXECUTION_WAIT_S_MAX
    while buyer.disputes.get(dispute_id).status != "executed":
        assert time.monotonic() < deadline, f"dispute {dispute_id} was not executed"
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.parametrize("kill", ["at_window_end", "shortly_after_window_end", "again_on_restart"])
def test_a_ruling_killed_at_its_execution_executes_once_on_restart(
    exchange: Exchange, tmp_path: Path, kill: str
) -> None:
    exchange.start()
    exchange.wait_healthy()
    emails = _parties(exchange)
    workdir = tmp_path / "work"
    workdir.mkdir()
    dispute_id, appeal_closes_at = _ruled_case(exchange, emails, workdir)

    extra_s = random.uniform(0, 3 * WORKER_POLL_S) if kill == "shortly_after_window_end" else 0.0
    _sleep_until(appeal_closes_at, extra_s)
    exchange.kill()
    exchange.start()
    if kill == "again_on_restart":
        exchange.wait_healthy()
        exchange.kill()
        exchange.start()
    exchange.wait_healthy()

    buyer = exchange.client(emails["buyer"])
    supplier = exchange.client(emails["supplier"])
    operator = exchange.client(emails["operator"])
    _wait_executed(buyer, dispute_id)
    dispute = buyer.disputes.get(dispute_id)
    executed = buyer.ledger.entries(kind="ruling.executed", subject=f"dispute:{dispute_id}")
    assert [e.seq for e in executed.items] == [dispute.executed_seq]
    assert dispute.order_id is not None
    assert buyer.orders.get(dispute.order_id).status == "partially_refunded"
    # docs/disputes.md, "Execution", at 6,000 bp of 1,500.00 CNY (fee 2.5 %: 37.50): the
    # supplier's gross share 900.00 less 60 % of the fee (22.50), the buyer 600.00 back; of each
    # side's 100.00 arbitration fee the buyer forfeits 60.00, the supplier 40.00. Each deposited
    # 100.00 for its fee (the buyer beside the price).
    assert dispute_demo.SUPPLIER_BP == 6_000
    buyer_balance, supplier_balance = buyer.books.balance(), supplier.books.balance()
    assert (buyer_balance.available_minor, buyer_balance.held_minor) == (10_000 + 60_000 - 6_000, 0)
    assert (supplier_balance.available_minor, supplier_balance.held_minor) == (
        10_000 + 90_000 - 2_250 - 4_000,
        0,
    )
    books = operator.books.reconcile()
    assert books.ok, books.problems
    assert books.total_minor == 0
    assert _errors_logged(exchange.log()) == []
    # Not waited for here: the entry's anchoring. The killed server's anchoring lease holds the
    # restarted one off for up to ledger.limits.anchor_lease_s (30 s), by design.


def _errors_logged(log: str) -> list[str]:
    """The server's log lines at ERROR or above (a failed execution is logged and retried)."""
    found = [line for line in log.splitlines() if "Traceback" in line]
    for line in log.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("level") in ("ERROR", "CRITICAL"):
                found.append(line)
    return found
