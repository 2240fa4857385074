"""Identity fixtures: an app on the test database with a known chain id."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.identity.helpers import CHAIN_ID


@pytest.fixture
def id_runtime(engine: Engine) -> Runtime:
    runtime = Runtime(settings=settings_for(engine), engine=engine)
    runtime.chain_id = CHAIN_ID
    return runtime


@pytest.fixture
def api(id_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=id_runtime), raise_server_exceptions=False) as c:
        yield c
