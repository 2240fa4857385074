"""Asset fixtures: an app on the test database with its own blob directory and a chain id."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import Party, operator, party, verify
from tests.marketplace.identity.helpers import CHAIN_ID


@pytest.fixture
def blob_dir(tmp_path: Path) -> Path:
    return tmp_path / "blobs"


@pytest.fixture
def asset_runtime(engine: Engine, blob_dir: Path) -> Runtime:
    runtime = Runtime(
        settings=settings_for(engine, blob_url=f"file://{blob_dir}", upload_bytes_max=1_000_000),
        engine=engine,
    )
    runtime.chain_id = CHAIN_ID
    return runtime


@pytest.fixture
def api(asset_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=asset_runtime), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def ops(api: TestClient, asset_runtime: Runtime) -> Party:
    return operator(api, asset_runtime)


@pytest.fixture
def supplier(api: TestClient, ops: Party) -> Party:
    who = party(api, "alice@supplier.test", "Alice Data", ["supplier"])
    verify(api, ops, who)
    return who


@pytest.fixture
def rival(api: TestClient, ops: Party) -> Party:
    who = party(api, "bob@rival.test", "Bob Data", ["supplier", "buyer"])
    verify(api, ops, who)
    return who
