"""A parent that has imported the server once and forks a fresh server process on demand.

The crash test kills the server twenty times a run; a new interpreter spends seconds importing
the app (the EVM's packages most of all) before it serves, and the run would spend its time
there. This parent imports everything first and forks: each child builds the app from its
settings (``DATABOURSE_*`` in the environment), opens the database and the chain files, starts
its workers and serves on the listening socket passed as file descriptor ``argv[1]``, exactly
as ``bourse serve`` does after its imports. The child is the server: the test kills it with
SIGKILL, and nothing of it survives in the parent, which holds no connection, no thread and
no state of the app.

Protocol on stdin/stdout, one line each: ``start`` answers the new server's pid; end of input
ends the parent.
"""

from __future__ import annotations

import os
import signal
import sys

import uvicorn

# Imported before the fork, the point of the parent: the app and what building it imports.
import ledger.chain.tester  # noqa: F401
import marketplace.app
import marketplace.books.payment_job
import marketplace.chain_runtime
import marketplace.disputes.execution_job
import marketplace.migrations
import marketplace.notifications
import marketplace.orders.settlement_job


def _serve(fd: int) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    app = marketplace.app.create_app()
    uvicorn.run(app, fd=fd, log_level="warning")


def main() -> None:
    fd = int(sys.argv[1])
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the children's to handle
    for line in sys.stdin:
        if line.strip() != "start":
            continue
        pid = os.fork()
        if pid == 0:
            os.dup2(2, 1)  # stdout is the parent's answer pipe: the child logs to stderr
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            code = 0
            try:
                _serve(fd)
            except BaseException:  # noqa: BLE001 -- the child reports and exits, never returns
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
