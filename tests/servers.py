"""Servers in subprocesses on a loopback port, with no race for the port.

Picking a free port (bind port 0, read it, close) and letting the server bind it later races
with every other process on the machine, parallel test workers first: another may take the port
in between. Here the test binds and listens on port 0 itself and keeps the socket; the server
(``bourse serve --fd N``) inherits that listening socket and never binds anything. The port is
known before the server starts (for ``DATABOURSE_PUBLIC_URL``), stays the test's while the
server is down (a killed server restarted on the same socket: connections wait in its backlog
meanwhile), and is freed when the test closes it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

BOURSE = Path(sys.executable).with_name("bourse")
BACKLOG = 128


@dataclass(frozen=True)
class Listener:
    """A listening socket on 127.0.0.1 owned by the test."""

    sock: socket.socket

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(
        self,
        *,
        cwd: Path,
        env: Mapping[str, str],
        stdout: int | IO[Any] | None = subprocess.PIPE,
        text: bool = False,
    ) -> subprocess.Popen[Any]:
        """``bourse serve`` on this socket (its output and errors to ``stdout``)."""
        fd = self.sock.fileno()
        return subprocess.Popen(  # noqa: S603 -- our own console script, fixed arguments
            [str(BOURSE), "serve", "--fd", str(fd)], cwd=cwd, env=dict(env), stdout=stdout,
            stderr=subprocess.STDOUT, text=text, pass_fds=(fd,),
        )  # fmt: skip


@contextmanager
def loopback_listener() -> Iterator[Listener]:
    """A socket listening on 127.0.0.1 on a port the kernel picked, until the block ends."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(BACKLOG)
        yield Listener(sock)
