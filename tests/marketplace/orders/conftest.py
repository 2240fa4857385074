"""Order fixtures: the asset fixtures (an app on the test database, an operator, a verified
supplier and a verified rival that may also buy), shared rather than copied, and a verified
buyer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.marketplace.assets import conftest as assets
from tests.marketplace.assets.helpers import Party, party, verify

# The asset fixtures, found by name.
blob_dir = assets.blob_dir
asset_runtime = assets.asset_runtime
api = assets.api
ops = assets.ops
supplier = assets.supplier
rival = assets.rival


@pytest.fixture
def buyer(api: TestClient, ops: Party) -> Party:
    who = party(api, "carol@buyer.test", "Carol Analytics", ["buyer"])
    verify(api, ops, who)
    return who
