"""The execution job: it executes rulings whose appeal window has ended with no appeal, and final
panel rulings (docs/disputes.md, "Execution"). Each dispute is its own transaction, claimed under
its row lock (``repository.claim_due``: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and re-checked
under it, so runs in the server, in ``bourse worker`` and in ``bourse dispute execute --once`` may
go at once and each ruling executes exactly once. A crash before the commit leaves nothing
behind; the next run executes it. A dispute whose execution fails is logged, left as it was and
tried again on the next run."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ledger.models import utc_now
from marketplace import limits
from marketplace.db import unit_of_work
from marketplace.disputes import repository
from marketplace.disputes.models import Dispute
from marketplace.disputes.service import objections
from marketplace.disputes.service.execution import due, execute
from marketplace.disputes.service.views import exchange_address
from marketplace.runtime import Runtime
from marketplace.settings import Settings

log = logging.getLogger(__name__)

_BACKOFF_S_MAX = 300.0


@dataclass
class ExecutionRun:
    executed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


#: Called after the books moved and before the commit (tests inject a crash here).
BeforeCommit = Callable[[Session, Dispute], None]


def run_once(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime | None = None,
    disputes_max: int = limits.settlement_orders_per_step_max,
    before_commit: BeforeCommit | None = None,
) -> ExecutionRun:
    """Execute what is due at ``now`` (at most ``disputes_max`` disputes)."""
    moment = now or utc_now()
    run = ExecutionRun()
    actor = exchange_address(settings)
    while len(run.executed) < disputes_max:
        dispute_id: int | None = None
        try:
            with unit_of_work(engine) as session:
                dispute = repository.claim_due(session, now=moment, skip=run.failed)
                if dispute is None:
                    break
                dispute_id = dispute.id
                if dispute.objection_id is not None and due(dispute, moment):
                    # An ownership objection's ruling (service/objections.py).
                    objections.execute(session, settings, dispute, actor=actor, now=moment)
                elif not execute(session, dispute, actor=actor, now=moment):
                    break  # another runner executed it first (SQLite) — nothing is due
                if before_commit is not None:
                    before_commit(session, dispute)
        except Exception as exc:
            if dispute_id is None:
                raise
            run.failed[dispute_id] = f"{type(exc).__name__}: {exc}"[:300]
            log.exception("execution of dispute %s failed; it is tried again next run", dispute_id)
        else:
            assert dispute_id is not None
            run.executed.append(dispute_id)
    return run


class ExecutionWorker:
    """Runs ``run_once`` every ``settlement_poll_s`` in a daemon thread (the server process when
    ``worker_in_process``, or ``bourse worker``)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or self._stop
        backoff = self.settings.settlement_poll_s
        while not stop.is_set():
            try:
                run_once(self.engine, self.settings)
                self.last_error, backoff = None, self.settings.settlement_poll_s
                wait = self.settings.settlement_poll_s
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("dispute execution run failed; retry in %.1fs", backoff)
                wait, backoff = backoff, min(backoff * 2, _BACKOFF_S_MAX)
            stop.wait(wait)

    def start(self) -> None:
        assert self._thread is None, "worker already started"
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="disputes", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None


def attach_execution(runtime: Runtime, *, start_worker: bool | None = None) -> None:
    """Start the execution worker in this process when ``worker_in_process`` says so."""
    if not (runtime.settings.worker_in_process if start_worker is None else start_worker):
        return
    worker = ExecutionWorker(runtime.engine, runtime.settings)
    worker.start()
    runtime.closers.append(worker.stop)
