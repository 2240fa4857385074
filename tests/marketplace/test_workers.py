"""The polling loop every job shares keeps its last error in one line: the SQL and parameters a
database error's text carries stay in the log."""

from __future__ import annotations

import threading

from sqlalchemy.exc import OperationalError

from marketplace.workers import PollingWorker


class _Failing(PollingWorker):
    name = "failing"

    def __init__(self, stop: threading.Event) -> None:
        super().__init__(poll_s=0.01)
        self._stop_after = stop

    def poll_once(self) -> bool:
        self._stop_after.set()
        raise OperationalError(
            "UPDATE book_account SET balance_minor = ? WHERE id = ?", (123456, 7),
            Exception("database is locked"),
        )  # fmt: skip


def test_a_failed_step_is_kept_in_one_line_without_its_sql() -> None:
    stop = threading.Event()
    worker = _Failing(stop)
    worker.run(stop)
    assert worker.last_error == "OperationalError: (builtins.Exception) database is locked"
