"""Pinning the exchange's contract: a forger deploys a second LedgerAnchor from the same bytecode
on the same chain and anchors a forged root there. `bourse verify` and `bourse ledger verify`
call that INVALID under a pin and, without one, say which unpinned contract they trusted and
exit 3. On both backends: the in-process EVM and a real anvil node."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.canonical import canonical_json, keccak256, to_hex
from ledger.chain import LedgerAnchorContract, Web3AnchorChain, connect, deploy_ledger_anchor
from ledger.chain.dev import DevChain
from ledger.connection import connect_anchor_chain
from ledger.merkle import leaf_hash
from ledger.receipts import build_receipt
from marketplace.cli import app as cli
from marketplace.settings import get_settings
from tests.chain_fixtures import ANVIL_KEY_1, CHAIN_BACKENDS, RECORDER_KEY
from tests.ledger.helpers import journal_n

CONFIG = AnchorConfig(batch_entries_max=2, batch_age_s=0, poll_s=0.01)
FORGER_KEY = ANVIL_KEY_1


@dataclass
class Exchange:
    url: str
    contract: str  # the exchange's own LedgerAnchor
    receipt: dict[str, Any]  # a genuine receipt, of entry 3
    forged: dict[str, Any]  # a receipt of a forged entry 3, anchored on the forger's contract
    forged_contract: str


@pytest.fixture(params=CHAIN_BACKENDS)
def chain_url(
    request: pytest.FixtureRequest,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """The CLI's settings point at the test database and a chain of the backend."""
    if request.param == "anvil":
        url = str(request.getfixturevalue("anvil_node").url)
    else:
        url = f"eth-tester://{tmp_path / 'chain'}"
    monkeypatch.setattr("marketplace.db.make_engine", lambda *_a, **_k: engine)
    for key, value in {
        "DATABOURSE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "DATABOURSE_CHAIN_URL": url,
        "DATABOURSE_CONFIG_DIR": str(tmp_path / "config"),
        "DATABOURSE_MODE": "development",
        "DATABOURSE_LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DATABOURSE_TRUST_FILE", raising=False)
    monkeypatch.delenv("DATABOURSE_ANCHOR_CONTRACT_ADDRESS", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _forger(chain: Web3AnchorChain) -> Web3AnchorChain:
    DevChain(chain).fund(Account.from_key(FORGER_KEY).address, 10**18)
    return chain.as_signer(FORGER_KEY)


def _forge(chain: Web3AnchorChain, genuine: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Deploy the forger's own LedgerAnchor and anchor a one-leaf tree of a changed entry 3."""
    forger = _forger(chain)
    assert forger.signer is not None
    deployed = deploy_ledger_anchor(forger.rpc, forger.signer)
    entry = {**genuine["entry"], "payload": {"amount_minor": 1_000_000}}
    entry_hash = keccak256(canonical_json(entry))
    root = leaf_hash(entry["seq"], entry_hash)
    status = LedgerAnchorContract(forger.rpc, deployed.address, forger.signer).anchor(root, 1, 3)
    forged = {
        "entry": entry,
        "entry_hash": to_hex(entry_hash),
        "proof": [],
        "root": to_hex(root),
        "batch": {"id": 1, "first_seq": 1, "last_seq": 3},
        "anchor": {
            "chain_id": chain.chain_id,
            "contract": deployed.address,
            "tx_hash": to_hex(status.tx_hash),
            "block_number": status.block_number,
        },
    }
    return deployed.address, forged


@pytest.fixture
def exchange(engine: Engine, chain_url: str) -> Exchange:
    chain = connect_anchor_chain(
        engine, chain_url, recorder_key=RECORDER_KEY, contract_address=None
    )
    try:
        journal_n(engine, 5)
        AnchorWorker(engine, lambda: chain, CONFIG).run_until_anchored(timeout_s=60)
        with Session(engine) as s:
            genuine = build_receipt(s, 3)
        forged_contract, forged = _forge(chain, genuine)
        return Exchange(chain_url, chain.contract_address, genuine, forged, forged_contract)
    finally:
        chain.close()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _verify(tmp_path: Path, exchange: Exchange, doc: dict[str, Any], *pin: str) -> tuple[int, str]:
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(doc))
    return _run("verify", str(path), "--chain", exchange.url, *pin)


def test_a_forged_receipt_from_a_second_contract_is_invalid_under_a_pin(
    exchange: Exchange, tmp_path: Path
) -> None:
    code, out = _verify(tmp_path, exchange, exchange.forged, "--contract", exchange.contract)
    assert code == 1
    assert out == (
        f"INVALID: the receipt names contract {exchange.forged_contract}, not the pinned "
        f"contract {exchange.contract}\n"
    )
    code, out = _verify(tmp_path, exchange, exchange.receipt, "--contract", exchange.contract)
    assert code == 0, out
    assert out.startswith("valid: entry 3 ")
    # Written in lower case, the forger's address is still shown as EIP-55 spells it.
    anchor = {**exchange.forged["anchor"], "contract": exchange.forged_contract.lower()}
    lower = {**exchange.forged, "anchor": anchor}
    code, out = _verify(tmp_path, exchange, lower, "--contract", exchange.contract)
    assert (code, out.split(",")[0]) == (
        1,
        f"INVALID: the receipt names contract {exchange.forged_contract}",
    )


def test_a_forged_receipt_without_a_pin_is_reported_as_unpinned(
    exchange: Exchange, tmp_path: Path
) -> None:
    code, out = _verify(tmp_path, exchange, exchange.forged)
    assert code == 3, out
    valid, unpinned = out.strip().splitlines()
    assert valid.startswith("valid: entry 3 (order.placed, order:2) is in batch 1 anchored on")
    assert unpinned.startswith(
        f"NOT PINNED: this check trusted contract {exchange.forged_contract} because the "
        "receipt names it"
    )


def test_ledger_info_makes_a_trust_file_that_pins_bourse_verify(
    exchange: Exchange, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = _run("ledger", "info", "--json")
    assert code == 0, out
    trust = json.loads(out)
    assert trust["contract"] == exchange.contract
    assert trust["recorder"] == Account.from_key(RECORDER_KEY).address
    chain = connect(exchange.url, recorder_key=None, contract_address=exchange.contract)
    try:
        deployed = chain.tx_status(bytes.fromhex(trust["deployment"]["tx_hash"][2:]))
        assert trust["chain_id"] == chain.chain_id
    finally:
        chain.close()
    assert deployed is not None
    assert deployed.succeeded
    assert deployed.block_number == trust["deployment"]["block_number"]
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(out)

    code, out = _verify(tmp_path, exchange, exchange.forged, "--trust", str(trust_file))
    assert code == 1
    assert out.startswith(f"INVALID: the receipt names contract {exchange.forged_contract}, not")
    # Saved once: DATABOURSE_TRUST_FILE pins every later check without an option.
    monkeypatch.setenv("DATABOURSE_TRUST_FILE", str(trust_file))
    get_settings.cache_clear()
    code, out = _verify(tmp_path, exchange, exchange.forged)
    assert code == 1
    code, out = _verify(tmp_path, exchange, exchange.receipt)
    assert (code, out.count("\n")) == (0, 1), out


def test_trust_save_writes_the_default_trust_file_the_verifiers_read(
    exchange: Exchange, tmp_path: Path
) -> None:
    code, out = _run("ledger", "info", "--json")
    assert code == 0, out
    published = tmp_path / "published.json"
    published.write_text(out)
    code, out = _run("ledger", "trust", "save", "--from", str(published))
    assert code == 0, out
    saved = tmp_path / "config" / "trust.json"
    assert f"saved to {saved}" in out
    assert f"contract     {exchange.contract}" in out
    code, out = _verify(tmp_path, exchange, exchange.forged)
    assert code == 1
    assert "not the pinned contract" in out


def test_ledger_verify_fails_a_database_whose_batches_name_another_contract_when_pinned(
    engine: Engine, chain_url: str
) -> None:
    """A forged database copy, anchored on the forger's own contract: every root is on chain,
    just not on the exchange's."""
    exchange_chain = connect_anchor_chain(
        engine, chain_url, recorder_key=RECORDER_KEY, contract_address=None
    )
    try:
        forger = _forger(exchange_chain)
        assert forger.signer is not None
        deployed = deploy_ledger_anchor(forger.rpc, forger.signer)
        contract = LedgerAnchorContract(forger.rpc, deployed.address, forger.signer)
        forged = Web3AnchorChain(
            forger.rpc, contract, forger.signer, forger.chain_id, backend=forger.backend
        )
        journal_n(engine, 5)
        AnchorWorker(engine, lambda: forged, CONFIG).run_until_anchored(timeout_s=60)
        exchange = exchange_chain.contract_address
    finally:
        exchange_chain.close()

    code, out = _run("ledger", "verify", "--contract", exchange)
    assert code == 1
    assert out == (
        f"FAILED at seq 1: batch 1 (seq 1..2) names contract {deployed.address}, not the pinned "
        f"{exchange}\n"
    )
    code, out = _run("ledger", "verify", "--offline", "--contract", exchange)
    assert code == 1
    assert out.startswith("FAILED at seq 1: batch 1 (seq 1..2) names contract")

    code, out = _run("ledger", "verify")
    assert code == 3, out
    ok, unpinned = out.strip().splitlines()
    assert ok.startswith("ok: 5 entries and 3 batches verified (roots of 3 batches checked")
    assert unpinned.startswith(
        f"NOT PINNED: this check trusted contract {deployed.address} because the newest batch "
        "in this database names it"
    )


def test_trust_save_with_chain_checks_the_deployment_and_the_recorder(
    exchange: Exchange, tmp_path: Path
) -> None:
    code, out = _run("ledger", "info", "--json")
    assert code == 0, out
    genuine = json.loads(out)
    target = tmp_path / "saved.json"

    def save(doc: dict[str, Any]) -> tuple[int, str]:
        source = tmp_path / "published.json"
        source.write_text(json.dumps(doc))
        return _run(
            "ledger", "trust", "save", "--from", str(source), "--chain", exchange.url,
            "-o", str(target),
        )  # fmt: skip

    code, out = save(genuine)
    assert code == 0, out
    assert (
        f"checked on chain {genuine['chain_id']}: {exchange.contract} created in block "
        f"{genuine['deployment']['block_number']} by that transaction; the recorder holds "
        "RECORDER_ROLE\n"
    ) in out
    assert json.loads(target.read_text()) == genuine
    target.unlink()

    # Without a deployment only the recorder can be checked, and the line says so.
    code, out = save({**genuine, "deployment": None})
    assert code == 0, out
    assert (
        f"checked on chain {genuine['chain_id']}: {exchange.contract} has no deployment in the "
        "document (null), so its creation was not checked; the recorder holds RECORDER_ROLE\n"
    ) in out
    target.unlink()

    code, out = save({**genuine, "contract": exchange.forged_contract})
    assert code == 1
    assert out == (
        f"INVALID: trust anchor: transaction {genuine['deployment']['tx_hash']} in block "
        f"{genuine['deployment']['block_number']} did not create {exchange.forged_contract}; "
        "nothing saved\n"
    )
    forger = Account.from_key(FORGER_KEY).address
    code, out = save({**genuine, "recorder": forger})
    assert code == 1
    assert out == (
        f"INVALID: trust anchor: the recorder {forger} does not hold RECORDER_ROLE on "
        f"{exchange.contract}; nothing saved\n"
    )
    assert not target.exists()


def test_both_verifiers_refuse_contract_and_trust_together(tmp_path: Path) -> None:
    """Two pins that may disagree: a usage error, not a silent choice of one of them (a
    forger's --contract used to win over the auditor's saved --trust file)."""
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps({"version": 1, "chain_id": 31337, "contract": "0x" + "11" * 20}))
    receipt = tmp_path / "receipt.json"
    receipt.write_text("{}")
    both = ("--contract", "0x" + "22" * 20, "--trust", str(trust))
    assert _run("verify", str(receipt), *both) == (
        2,
        "error: give --contract or --trust, not both\n",
    )
    assert _run("ledger", "verify", *both) == (2, "error: give --contract or --trust, not both\n")


def test_ledger_verify_fails_a_copy_whose_newest_anchored_batch_was_deleted(
    exchange: Exchange, engine: Engine
) -> None:
    """Deleting the newest entries with their batch and rewinding the head leaves a database
    that is consistent with itself; the contract still holds the deleted batch."""
    code, out = _run("ledger", "verify", "--contract", exchange.contract)
    assert (code, out.startswith("ok: 5 entries and 3 batches verified")) == (0, True), out
    with engine.begin() as conn:
        fourth = conn.execute(text("SELECT entry_hash FROM journal_entry WHERE seq = 4")).scalar()
        conn.execute(text("DELETE FROM journal_entry WHERE seq = 5"))
        conn.execute(text("DELETE FROM anchor_batch WHERE id = 3"))
        conn.execute(text("UPDATE journal_head SET last_seq = 4, last_hash = :h"), {"h": fourth})
    code, out = _run("ledger", "verify", "--contract", exchange.contract)
    assert (code, out) == (
        1,
        "FAILED at seq 5: batch 3 (seq 5..5) is anchored on chain but missing from the database\n",
    )
    code, out = _run("ledger", "verify", "--offline", "--contract", exchange.contract)
    assert code == 0, out  # the database alone cannot tell: only the chain remembers batch 3


def test_a_receipt_naming_another_anchor_transaction_is_invalid(
    exchange: Exchange, engine: Engine, tmp_path: Path
) -> None:
    """The anchor transaction must be the one whose Anchored event records the batch: another
    successful transaction (here batch 1's) would make the success line print its block."""
    with Session(engine) as s:
        first = build_receipt(s, 1)
    assert first["batch"]["id"] != exchange.receipt["batch"]["id"]
    swapped = {**exchange.receipt, "anchor": first["anchor"]}
    code, out = _verify(tmp_path, exchange, swapped, "--contract", exchange.contract)
    assert (code, out) == (
        1,
        f"INVALID: anchor transaction {first['anchor']['tx_hash']} did not anchor batch "
        f"{exchange.receipt['batch']['id']} on contract {exchange.contract}\n",
    )
