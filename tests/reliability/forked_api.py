"""``python -m tests.reliability.forked_api FD...``: one API process (uvicorn, the app factory) per
listening socket FD handed over by the parent, forked after the application's modules are
imported once (as gunicorn's ``--preload`` does): each child builds its own app, engine and
chain connection, and imports cost one process's CPU instead of one per process.

The launcher waits for its children; SIGTERM or SIGINT is passed on to them."""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def main(fds: list[int]) -> int:
    import uvicorn

    import marketplace.app  # noqa: F401 -- imported once, before the fork, for every child

    children: list[int] = []
    for fd in fds:
        pid = os.fork()
        if pid == 0:
            uvicorn.run("marketplace.app:create_app", factory=True, fd=fd, log_level="warning")
            os._exit(0)
        children.append(pid)

    def pass_on(signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    signal.signal(signal.SIGTERM, pass_on)
    signal.signal(signal.SIGINT, pass_on)
    status = 0
    for child in children:
        _, code = os.waitpid(child, 0)
        status = status or os.waitstatus_to_exitcode(code)
    return status


if __name__ == "__main__":
    sys.exit(main([int(fd) for fd in sys.argv[1:]]))
