"""Dispute fixtures: the order fixtures (an app on the test database, an operator, a verified
supplier, a verified buyer), shared rather than copied, and verified arbitrators."""

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


def make_arbitrator(api: TestClient, ops: Party, who: Party) -> Party:
    """An operator grants ``who``'s organisation the arbitrator role."""
    r = api.post(
        f"/organizations/{who.organization_id}/roles", json={"role": "arbitrator"},
        headers=ops.headers,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    return who


def arbitrator(api: TestClient, ops: Party, n: int) -> Party:
    """A verified arbitrator of its own organisation (signed up as a buyer: sign-up offers
    supplier and buyer; operators grant the arbitrator role)."""
    who = party(api, f"judge{n}@arbiters{n}.test", f"Arbiters {n}", ["buyer"])
    verify(api, ops, who)
    return make_arbitrator(api, ops, who)


@pytest.fixture
def judge(api: TestClient, ops: Party) -> Party:
    """The one verified arbitrator, so the draw picks it."""
    return arbitrator(api, ops, 1)


@pytest.fixture
def outside_arbitrator(api: TestClient, ops: Party) -> Party:
    """A verified arbitrator that no dispute of the test draws unless the test says so."""
    return arbitrator(api, ops, 9)
