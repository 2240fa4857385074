"""Demand fixtures: the asset fixtures (an app on the test database, an operator, a verified
supplier and a verified rival that is supplier and buyer), plus a verified buyer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.marketplace.assets.conftest import (  # noqa: F401 -- fixtures, found by name
    api,
    asset_runtime,
    blob_dir,
    ops,
    rival,
    supplier,
)
from tests.marketplace.assets.helpers import Party, party, verify


@pytest.fixture
def buyer(api: TestClient, ops: Party) -> Party:  # noqa: F811 -- the fixtures imported above
    who = party(api, "carol@buyer.test", "Carol Analytics", ["buyer"])
    verify(api, ops, who)
    return who
