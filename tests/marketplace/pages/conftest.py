"""The pages' fixtures: an app on the test database with an in-process EVM holding a deployed
LedgerAnchor, and a small exchange built through the API — two listed assets, each offered by a
listing (one with a valuation, one holding personal information), a private draft, the journal
anchored, and one entry written after the anchor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.chain import Web3AnchorChain, connect
from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.chain_fixtures import RECORDER_KEY
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import (
    Party,
    create,
    operator,
    party,
    registered_listed,
    verify,
)
from tests.marketplace.identity.helpers import serve
from tests.marketplace.listings.helpers import create_listing, terms
from tests.marketplace.valuation.helpers import COST, INCOME, MARKET

ANCHOR_CONFIG = AnchorConfig(batch_entries_max=1000, batch_age_s=0, poll_s=0.01)
DRAFT_TITLE = "Secret merger pipeline"
FRUIT_TITLE = "Fruit prices"
CLINIC_TITLE = "Clinic visits <by district>"


@dataclass
class World:
    supplier: Party
    operator: Party
    fruit_id: int
    clinic_id: int
    draft_id: int
    valuation_id: int
    anchored_seq: int  # the last seq in a confirmed batch
    unanchored_seq: int  # written after the anchor


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Web3AnchorChain]:
    c = connect(
        f"eth-tester://{tmp_path / 'chain'}", recorder_key=RECORDER_KEY, contract_address=None
    )
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def page_runtime(engine: Engine, chain: Web3AnchorChain, tmp_path: Path) -> Runtime:
    runtime = Runtime(
        settings=settings_for(engine, blob_url=f"file://{tmp_path / 'blobs'}"), engine=engine
    )
    runtime.chain_id = chain.chain_id
    runtime.contract_address = chain.contract_address
    return runtime


@pytest.fixture
def api(page_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=page_runtime), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def base_url(page_runtime: Runtime) -> Iterator[str]:
    """The exchange served on a loopback port, for the browser tests."""
    with serve(create_app(runtime=page_runtime)) as url:
        yield url


def anchor(engine: Engine, chain: Web3AnchorChain) -> None:
    AnchorWorker(engine, lambda: chain, ANCHOR_CONFIG).run_until_anchored(timeout_s=60)


@pytest.fixture
def world(api: TestClient, page_runtime: Runtime, engine: Engine, chain: Web3AnchorChain) -> World:
    ops = operator(api, page_runtime)
    supplier = party(api, "alice@supplier.test", "Alice Data", ["supplier"])
    verify(api, ops, supplier)
    fruit_id = registered_listed(api, supplier, ops)
    clinic_id = registered_listed(
        api,
        supplier,
        ops,
        title=CLINIC_TITLE,
        description="Outpatient visits per district and week",
        keywords=["health", "clinics"],
        theme="health",
        license="CC-BY-NC-4.0",
        classification="important",
        personal_information=True,
        lawful_basis="public_health_or_safety",
        source_type="purchased",
    )
    create_listing(api, supplier, fruit_id)
    create_listing(
        api,
        supplier,
        clinic_id,
        terms=terms(delivery_mode="key_wrapped", purposes=["research"]),
        price_model={"kind": "subscription", "amount_minor": 990_000, "period": "year"},
    )
    r = api.post(
        f"/assets/{fruit_id}/valuations",
        json={"inputs": {"cost": COST, "income": INCOME, "market": MARKET}},
        headers=supplier.headers,
    )
    assert r.status_code == 201, r.text
    valuation_id = int(r.json()["id"])
    anchor(engine, chain)
    anchored_seq = int(api.get("/ledger/entries", params={"limit": 500}).json()["items"][-1]["seq"])
    draft_id = int(create(api, supplier, title=DRAFT_TITLE, keywords=["fruit", "secret"])["id"])
    return World(
        supplier=supplier,
        operator=ops,
        fruit_id=fruit_id,
        clinic_id=clinic_id,
        draft_id=draft_id,
        valuation_id=valuation_id,
        anchored_seq=anchored_seq,
        unanchored_seq=anchored_seq + 1,
    )
