"""Dependencies shared by every domain's endpoints, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from marketplace.blobs.store import BlobStore, blob_store_from_url
from marketplace.db import unit_of_work
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


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """The request's unit of work: committed once when the endpoint returns, before the
    response is sent (``scope="function"``), rolled back when anything raised."""
    with unit_of_work(runtime.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@lru_cache(maxsize=8)
def _blob_store_for(url: str) -> BlobStore:
    return blob_store_from_url(url)


def get_blob_store(runtime: RuntimeDep) -> BlobStore:
    """The encrypted-blob store at ``settings.blob_url``, one per URL for the process."""
    return _blob_store_for(runtime.settings.blob_url)


BlobStoreDep = Annotated[BlobStore, Depends(get_blob_store)]
