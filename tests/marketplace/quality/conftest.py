"""The asset fixtures (operator, verified supplier) on an app that also serves the quality
and valuation endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.marketplace.assets.conftest import (  # noqa: F401 -- fixtures used by name
    asset_runtime,
    blob_dir,
    ops,
    rival,
    supplier,
)


@pytest.fixture
def api(asset_runtime: Runtime) -> Iterator[TestClient]:  # noqa: F811 -- the fixture, by name
    with TestClient(create_app(runtime=asset_runtime), raise_server_exceptions=False) as client:
        yield client
