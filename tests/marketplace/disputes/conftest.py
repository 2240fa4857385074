"""Dispute fixtures: the order fixtures (an app on the test database, an operator, a verified
supplier, a verified rival that may also buy, a verified buyer), shared rather than copied, and a
verified arbitrator."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import Party, party, verify
from tests.marketplace.orders import conftest as orders

blob_dir = orders.blob_dir
asset_runtime = orders.asset_runtime
api = orders.api
ops = orders.ops
supplier = orders.supplier
rival = orders.rival
buyer = orders.buyer


@pytest.fixture
def arbitrator(api: TestClient, ops: Party) -> Party:
    who = party(api, "judge@arbitration.test", "Fair Rulings", ["buyer"])
    r = api.post(
        f"/organizations/{who.organization_id}/roles",
        headers=ops.headers,
        json={"role": "arbitrator"},
    )
    assert r.status_code == 200, r.text
    verify(api, ops, who)
    return who
