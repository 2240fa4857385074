"""Auction fixtures: the asset fixtures (an app, an operator, a verified supplier and a verified
rival that also buys), two more verified buyers, an unverified one, and a clock the app reads."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from marketplace.auctions.endpoints import current_time
from tests.marketplace.assets.conftest import (  # noqa: F401 -- fixtures, found by name
    api,
    asset_runtime,
    blob_dir,
    ops,
    rival,
    supplier,
)
from tests.marketplace.assets.helpers import Party, party, verify
from tests.marketplace.auctions.helpers import Clock


@pytest.fixture
def clock(api: TestClient) -> Clock:  # noqa: F811 -- the fixture, by name
    """The auctions' clock, starting now; tests move it forward (no sleeps)."""
    moved = Clock()
    api.app.dependency_overrides[current_time] = moved.read  # type: ignore[attr-defined]
    return moved


@pytest.fixture
def carol(api: TestClient, ops: Party) -> Party:  # noqa: F811 -- the fixtures, by name
    who = party(api, "carol@buyer.test", "Carol Analytics", ["buyer"])
    verify(api, ops, who)
    return who


@pytest.fixture
def dave(api: TestClient, ops: Party) -> Party:  # noqa: F811 -- the fixtures, by name
    who = party(api, "dave@buyer.test", "Dave Research", ["buyer"])
    verify(api, ops, who)
    return who


@pytest.fixture
def unverified(api: TestClient) -> Party:  # noqa: F811 -- the fixture, by name
    return party(api, "eve@unverified.test", "Eve Unverified", ["buyer"])
