"""The execution job: it executes rulings whose appeal window has ended with no appeal, and final
panel rulings (docs/disputes.md, "Execution"). Each dispute is its own transaction, claimed
under its row lock (``repository.claim_due``: ``FOR NO KEY UPDATE SKIP LOCKED`` on PostgreSQL)
and re-checked under it, so runs in the server, in ``bourse worker`` and in ``bourse dispute
execute --once`` may go at once and each ruling executes exactly once. A crash before the
commit leaves nothing behind; the next run executes it. A dispute whose execution fails is
logged, left as it was and tried again on the next run."""

from __future__ import annotations

import logging
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
from marketplace.workers import PollingWorker, attach_worker

log = logging.getLogger(__name__)


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


class ExecutionWorker(PollingWorker):
    """Runs ``run_once`` every ``settlement_poll_s`` (``marketplace/workers.py``)."""

    name = "disputes"

    def __init__(self, engine: Engine, settings: Settings) -> None:
        super().__init__(settings.settlement_poll_s)
        self.engine = engine
        self.settings = settings

    def poll_once(self) -> bool:
        run = run_once(self.engine, self.settings)
        return len(run.executed) >= limits.settlement_orders_per_step_max


def attach_execution(runtime: Runtime, *, start_worker: bool | None = None) -> None:
    """Start the execution worker in this process when ``worker_in_process`` says so."""
    attach_worker(
        runtime,
        lambda: ExecutionWorker(runtime.engine, runtime.settings),
        start_worker=start_worker,
    )
