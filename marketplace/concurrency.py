"""How many requests the service runs at once, so that no request waits for a worker thread while
holding a database transaction that the threads' owners are waiting for.

FastAPI runs each plain ``def`` dependency and endpoint in anyio's thread pool (40 threads), one
hop at a time. A request's transaction begins in one hop (on SQLite, ``BEGIN IMMEDIATE`` takes the
write lock) and commits in a later one. If every thread were taken by requests waiting for that
lock, or for a pooled connection, the holder could never run its next hop, and the server would
stall until SQLite's busy timeout or the pool's timeout (30 s) failed them all. So at most
``limits.requests_in_flight_max`` requests, plus ``limits.uploads_in_flight_max`` uploads (which
stream for long and hold a thread only while they touch the database or a file), run at once,
fewer than the pool has threads; the others wait their turn on the event loop, holding nothing.
"""

from __future__ import annotations

import asyncio
import weakref

from starlette.types import ASGIApp, Receive, Scope, Send


class InFlightLimitMiddleware:
    def __init__(
        self, app: ASGIApp, requests_max: int, uploads_max: int, upload_prefix: str
    ) -> None:
        self.app = app
        self.requests_max = requests_max
        self.uploads_max = uploads_max
        self.upload_prefix = upload_prefix
        # One pair per event loop: an asyncio semaphore belongs to the loop that first waits on it.
        self._slots: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[asyncio.Semaphore, asyncio.Semaphore]
        ] = weakref.WeakKeyDictionary()

    def _slot(self, path: str) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        pair = self._slots.get(loop)
        if pair is None:
            pair = (asyncio.Semaphore(self.requests_max), asyncio.Semaphore(self.uploads_max))
            self._slots[loop] = pair
        return pair[1] if path.startswith(self.upload_prefix) else pair[0]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self._slot(str(scope.get("path", ""))):
            await self.app(scope, receive, send)
