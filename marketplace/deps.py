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
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings_dep(runtime: RuntimeDep) -> Settings:
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[Session]:
    """The request's unit of work: committed once when the endpoint returns, before the
    response is sent (``scope="function"``), rolled back when anything raised.

    ``async``, as ``db.unit_of_work`` would be in a worker thread: making a session reads
    nothing, so it is made here without a hop to a worker thread; the commit or the rollback
    runs in one, and only when a transaction is open (an idempotent route has committed its own
    before it returns, and a session never used has none): closing a session with no
    transaction touches no connection."""
    session = Session(runtime.engine, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        await _in_worker_thread(session, session.rollback)
        raise
    else:
        await _in_worker_thread(session, functools.partial(_commit, session))
    finally:
        session.close()


def _commit(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise


async def _in_worker_thread(session: Session, end: Callable[[], None]) -> None:
    """``end`` (the commit or the rollback) in a worker thread when a transaction is open, as
    FastAPI runs a sync dependency's exit: shielded from cancellation, and with a limiter of
    its own, so that ending a transaction never waits for a thread that waits for a
    connection."""
    if not session.in_transaction():
        return
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(end, limiter=anyio.CapacityLimiter(1))


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@lru_cache(maxsize=8)
def _blob_store_for(url: str) -> BlobStore:
    return blob_store_from_url(url)


def get_blob_store(runtime: RuntimeDep) -> BlobStore:
    """The encrypted-blob store at ``settings.blob_url``, one per URL for the process."""
    return _blob_store_for(runtime.settings.blob_url)


BlobStoreDep = Annotated[BlobStore, Depends(get_blob_store)]
