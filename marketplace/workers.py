"""The background loop every polling job shares: settlement, dispute execution, payments and
webhook delivery each run one ``PollingWorker``, in a daemon thread of the server process (when
``worker_in_process``) or of ``bourse worker``.

A worker calls its ``poll_once`` every ``poll_s`` seconds, and again at once while ``poll_once``
says there is more due (it stopped at its per-step limit). An exception does not end the loop:
it is logged, kept in ``last_error``, and the next try waits twice as long as the last, up to
``backoff_s_max``. Workers in several processes coordinate through the database (each job
claims its rows under row locks), never through this loop.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable

from ledger.errors import first_line
from marketplace.runtime import Runtime

log = logging.getLogger(__name__)

BACKOFF_S_MAX = 300.0  # a loop's wait after an unexpected error, at most


def load_domains() -> None:
    """Imports the domain services whose import registers what the jobs call through seams
    (a domain serves another that may not import it): delivery's download count for metered
    periods and its licence end when a subscription stops (``orders.service.usage_counters``,
    ``stop_hooks``), the licence granted on payment, the content rule; listings' reindexing.
    The server imports every domain through its routes; ``bourse worker`` and ``bourse settle``
    call this before they run a job (``bourse settle`` once failed every per-download period,
    and left refused subscriptions' licences open)."""
    import marketplace.delivery.service
    import marketplace.listings.service  # noqa: F401


def stop_on_signals() -> threading.Event:
    """An event that SIGINT or SIGTERM sets: a worker's ``run`` in the foreground (``bourse``)
    ends on either."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def holder_name(worker: object) -> str:
    """A name for the claims ``worker`` takes, unique across hosts, processes and workers."""
    return f"{socket.gethostname()}:{os.getpid()}:{id(worker):x}"


class PollingWorker:
    """Runs ``poll_once`` in a loop (``run``), or in a daemon thread (``start`` and ``stop``).
    Subclasses name the thread (``name``) and implement ``poll_once``."""

    name = "worker"

    def __init__(self, poll_s: float, *, backoff_s_max: float = BACKOFF_S_MAX) -> None:
        self.poll_s = poll_s
        self.backoff_s_max = backoff_s_max
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def poll_once(self) -> bool:
        """Do what is due now; True when more may be due at once (the step hit its limit)."""
        raise NotImplementedError

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or self._stop
        backoff = self.poll_s
        while not stop.is_set():
            try:
                busy = self.poll_once()
                self.last_error, backoff = None, self.poll_s
                wait = 0.0 if busy else self.poll_s
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {first_line(exc)}"  # never SQL text
                log.exception("%s step failed; retry in %.1fs", self.name, backoff)
                wait, backoff = backoff, min(backoff * 2, self.backoff_s_max)
            stop.wait(wait)

    def start(self) -> None:
        assert self._thread is None, "worker already started"
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None


def attach_worker(
    runtime: Runtime, make: Callable[[], PollingWorker], start_worker: bool | None = None
) -> None:
    """Start the worker ``make`` builds in this process when ``worker_in_process`` (or
    ``start_worker``) says so, and stop it when the runtime closes."""
    if not (runtime.settings.worker_in_process if start_worker is None else start_worker):
        return
    worker = make()
    worker.start()
    runtime.closers.append(worker.stop)
