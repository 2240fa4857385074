"""bourse verify checks on chain that a certificate's countersigner is a recorder of the anchor
contract."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.chain import Web3AnchorChain, connect
from marketplace.app import create_app
from marketplace.cli import app as cli
from marketplace.runtime import Runtime
from tests.chain_fixtures import ANVIL_KEY_1, RECORDER_KEY
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import CSV, create, operator, party, review, upload, verify

CONFIG = AnchorConfig(batch_entries_max=1000, batch_age_s=0, poll_s=0.01)


@pytest.fixture
def chain_url(tmp_path: Path) -> str:
    return f"eth-tester://{tmp_path / 'chain'}"


@pytest.fixture
def chain(chain_url: str) -> Iterator[Web3AnchorChain]:
    c = connect(chain_url, recorder_key=RECORDER_KEY, contract_address=None)
    try:
        yield c
    finally:
        c.close()


def _certificate(engine: Engine, chain: Web3AnchorChain, tmp_path: Path, exchange_key: str) -> Path:
    """A certificate the exchange countersigned with ``exchange_key``, anchored by ``chain``'s
    recorder, saved as a file."""
    settings = settings_for(
        engine, blob_url=f"file://{tmp_path / 'blobs'}", anchor_recorder_key=exchange_key
    )
    runtime = Runtime(settings=settings, engine=engine)
    runtime.chain_id = chain.chain_id
    runtime.contract_address = chain.contract_address
    with TestClient(create_app(runtime=runtime)) as api:
        ops = operator(api, runtime)
        who = party(api, "carol@supplier.test", "Carol Data", ["supplier"])
        verify(api, ops, who)
        asset_id = int(create(api, who)["id"])
        assert upload(api, who, asset_id, CSV).status_code == 201
        r = api.post(f"/assets/{asset_id}/submit", json={}, headers=who.headers)
        assert r.status_code == 200, r.text
        assert review(api, ops, asset_id, "approved").status_code == 201
        AnchorWorker(engine, lambda: chain, CONFIG).run_until_anchored(timeout_s=60)
        doc = api.get(f"/assets/{asset_id}/certificate", headers=who.headers).json()
    assert doc["certificate"]["exchange"]["address"] == Account.from_key(exchange_key).address
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(doc))
    return path


def test_a_certificate_countersigned_by_the_recorder_verifies(
    engine: Engine, chain: Web3AnchorChain, chain_url: str, tmp_path: Path
) -> None:
    path = _certificate(engine, chain, tmp_path, RECORDER_KEY)
    pin = ["--contract", chain.contract_address]
    result = CliRunner().invoke(cli, ["verify", str(path), "--chain", chain_url, *pin])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid certificate: ")


def test_a_certificate_countersigned_by_a_non_recorder_fails_in_one_line(
    engine: Engine, chain: Web3AnchorChain, chain_url: str, tmp_path: Path
) -> None:
    path = _certificate(engine, chain, tmp_path, ANVIL_KEY_1)
    result = CliRunner().invoke(cli, ["verify", str(path), "--chain", chain_url])
    assert result.exit_code == 1
    outsider = Account.from_key(ANVIL_KEY_1).address
    assert result.output == (
        f"INVALID: certificate: the countersigner {outsider} does not hold RECORDER_ROLE on the "
        f"anchor contract {chain.contract_address}\n"
    )
