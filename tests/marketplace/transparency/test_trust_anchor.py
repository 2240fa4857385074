"""The exchange publishes its trust anchor at /.well-known/databourse.json and on its home page;
`bourse ledger trust save --from URL` saves it once for the verifiers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner
from web3.exceptions import Web3RPCError

from marketplace.app import create_app
from marketplace.chain_runtime import attach_chain
from marketplace.cli import app as cli
from marketplace.runtime import Runtime
from marketplace.settings import DEV_RECORDER_KEY, get_settings
from tests.chain_fixtures import CHAIN_BACKENDS
from tests.conftest import settings_for
from tests.marketplace.identity.helpers import serve

TRUST_KEYS = {"version", "chain_id", "contract", "deployment", "recorder"}


def _chained_runtime(engine: Engine, chain_url: str) -> Runtime:
    runtime = Runtime(settings=settings_for(engine, chain_url=chain_url), engine=engine)
    attach_chain(runtime, start_worker=False)
    return runtime


@pytest.fixture(params=CHAIN_BACKENDS)
def chain_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "anvil":
        return str(request.getfixturevalue("anvil_node").url)
    return f"eth-tester://{tmp_path / 'chain'}"


def _published(runtime: Runtime) -> dict[str, object]:
    with TestClient(create_app(runtime=runtime)) as client:
        response = client.get("/.well-known/databourse.json")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_the_trust_anchor_names_the_contract_its_deployment_and_the_recorder(
    engine: Engine, chain_url: str
) -> None:
    runtime = _chained_runtime(engine, chain_url)
    try:
        body = _published(runtime)
        chain = runtime.chain.get()
        assert set(body) == TRUST_KEYS
        assert body["version"] == 1
        assert body["chain_id"] == runtime.chain_id == chain.chain_id
        assert body["contract"] == runtime.contract_address == chain.contract_address
        assert body["recorder"] == Account.from_key(DEV_RECORDER_KEY).address
        deployment = body["deployment"]
        assert isinstance(deployment, dict)
        mined = chain.tx_status(bytes.fromhex(deployment["tx_hash"][2:]))
        assert mined is not None
        assert mined.succeeded
        assert mined.block_number == deployment["block_number"]
        assert chain.deployment() == chain.known_deployment  # recorded, not searched for
    finally:
        runtime.close()
    # A restarted service publishes the same anchor (recorded in the database or chain dir).
    again = _chained_runtime(engine, chain_url)
    try:
        assert _published(again) == body
    finally:
        again.close()


def test_a_configured_contract_s_deployment_is_found_on_the_chain(
    engine: Engine, chain_url: str
) -> None:
    first = _chained_runtime(engine, chain_url)
    try:
        body = _published(first)
        chain = first.chain.get()
        chain.known_deployment = None  # as for DATABOURSE_ANCHOR_CONTRACT_ADDRESS: not recorded
        assert _published(first) == body
    finally:
        first.close()


def test_a_node_without_historical_state_publishes_a_null_deployment(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = _chained_runtime(engine, "eth-tester://")
    try:
        chain = runtime.chain.get()
        chain.known_deployment = None  # configured, not recorded: it must be searched for

        def pruned(*_args: object, **_kwargs: object) -> bytes:
            raise Web3RPCError("missing trie node")

        monkeypatch.setattr(chain.rpc.w3.eth, "get_code", pruned)
        body = _published(runtime)
        assert body["deployment"] is None
        assert body["contract"] == chain.contract_address
    finally:
        runtime.close()


def test_without_a_chain_the_home_page_says_so(client: TestClient) -> None:
    page = client.get("/").text
    assert "The anchor chain is not connected yet." in page


def test_without_a_chain_the_trust_anchor_is_503(client: TestClient) -> None:
    response = client.get("/.well-known/databourse.json")
    assert response.status_code == 503
    assert response.json() == {
        "error": "chain_unavailable",
        "message": "this exchange has no anchor chain attached",
    }


def test_the_home_page_shows_the_trust_anchor(engine: Engine) -> None:
    runtime = _chained_runtime(engine, "eth-tester://")
    try:
        with TestClient(create_app(runtime=runtime)) as client:
            page = client.get("/").text
        trust = _published(runtime)
        assert f'<code class="contract hash">{runtime.contract_address}</code>' in page
        deployment = trust["deployment"]
        assert isinstance(deployment, dict)
        assert (
            f'<dt>deployed in</dt><dd>tx <span class="hash">{deployment["tx_hash"]}</span>, '
            f"block {deployment['block_number']}</dd>"
        ) in page
        assert f'<dt>recorder</dt><dd><span class="hash">{trust["recorder"]}</span></dd>' in page
        assert f"<dt>chain id</dt><dd>{trust['chain_id']}</dd>" in page
        assert 'href="/.well-known/databourse.json"' in page
        assert "bourse ledger trust save --from URL" in page
    finally:
        runtime.close()


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("DATABOURSE_TRUST_FILE", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "config"
    get_settings.cache_clear()


def test_trust_save_from_the_exchange_url_saves_what_it_publishes(
    engine: Engine, config_dir: Path
) -> None:
    runtime = _chained_runtime(engine, "eth-tester://")
    try:
        with serve(create_app(runtime=runtime)) as url:
            published = _published(runtime)
            result = CliRunner().invoke(cli, ["ledger", "trust", "save", "--from", url])
            missing = CliRunner().invoke(
                cli, ["ledger", "trust", "save", "--from", f"{url}/nothing.json"]
            )
    finally:
        runtime.close()
    assert result.exit_code == 0, result.output
    saved = config_dir / "trust.json"
    assert json.loads(saved.read_text()) == published
    assert f"contract     {published['contract']}" in result.output
    assert "Check the contract address against one the exchange publishes elsewhere" in (
        result.output
    )
    assert missing.exit_code == 1
    assert missing.output == f"error: {url}/nothing.json answered HTTP 404\n"
