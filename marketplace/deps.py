"""Dependencies shared by every domain's endpoints, as ``Annotated`` aliases."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from functools import lru_cache
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlmodel import Session

from marketplace.blobs.store import BlobStore, blob_store_from_url
from marketplace.runtime import Runtime
from marketplace.settings import Settings


# The dependencies that only read what the app holds are ``async``: FastAPI runs a plain
# ``def`` dependency in a worker thread, and each such hop costs a request more CPU than the
# dependency itself (docs/orders.md, "Performance").
# The shared ones read the runtime from the request, not through ``RuntimeDep``: FastAPI solves
# a dependency's own dependencies again wherever it is used, cached or not.
def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings_dep(request: Request) -> Settings:
    return runtime_of(request).settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: committed once when the endpoint returns, before the
    response is sent (``scope="function"``), rolled back when anything raised.

    ``async``: FastAPI would run a plain generator's entry and its exit each in a worker thread.
    Making a session reads nothing, so it is made here; the commit or the rollback runs in a
    worker thread, and only when a transaction is open (an idempotent route has committed its
    own before it returns, and a session never used has none)."""
    session = Session(runtime_of(request).engine, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        await _end(session, session.rollback)
        raise
    await _end(session, functools.partial(_commit, session))


def _commit(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise


async def _end(session: Session, end: Callable[[], None]) -> None:
    """``end`` (the commit or the rollback) and the close, in a worker thread when a transaction
    is open, as FastAPI runs a sync dependency's exit: shielded from cancellation, and with a
    limiter of its own, so that ending a transaction never waits for a thread that waits for a
    connection. With no transaction open, closing touches no connection: done here."""
    if not session.in_transaction():
        session.close()
        return

    def end_and_close() -> None:
        try:
            end()
        finally:
            session.close()

    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(end_and_close, limiter=anyio.CapacityLimiter(1))


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@lru_cache(maxsize=8)
def _blob_store_for(url: str) -> BlobStore:
    return blob_store_from_url(url)


def get_blob_store(runtime: RuntimeDep) -> BlobStore:
    """The encrypted-blob store at ``settings.blob_url``, one per URL for the process."""
    return _blob_store_for(runtime.settings.blob_url)


BlobStoreDep = Annotated[BlobStore, Depends(get_blob_store)]
