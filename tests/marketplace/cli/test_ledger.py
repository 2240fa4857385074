"""bourse ledger verify says exactly what it checked; bourse serve and bourse worker refuse, in
one line, what the in-process EVM cannot do."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.chain import connect
from ledger.chain.tester import LOCK_FILE, TESTER_CHAIN_ID
from marketplace.cli import app as cli
from marketplace.settings import get_settings
from tests.chain_fixtures import RECORDER_KEY
from tests.ledger.helpers import journal_n


@pytest.fixture
def chain_url(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CLI's settings point at the test database and an eth-tester chain directory."""
    url = f"eth-tester://{tmp_path / 'chain'}"
    monkeypatch.setattr("marketplace.db.make_engine", lambda *_a, **_k: engine)
    monkeypatch.setattr("marketplace.observability.configure_logging", lambda *_a: None)
    for key, value in {
        "DATABOURSE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "DATABOURSE_CHAIN_URL": url,
        "DATABOURSE_MODE": "development",
        "DATABOURSE_LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_ledger_verify_without_a_known_contract_fails_unless_offline(
    engine: Engine, chain_url: str
) -> None:
    journal_n(engine, 3)
    code, out = _run("ledger", "verify")
    assert code == 1
    assert out.startswith("FAILED: cannot check the chain: no contract is known")
    assert len(out.strip().splitlines()) == 1
    code, out = _run("ledger", "verify", "--offline")
    assert code == 0, out
    assert out.startswith("ok: 3 entries and 0 batches verified (hash chain and batch roots only")
    assert "on chain" not in out


def test_ledger_verify_names_the_chain_contract_and_batches_it_checked(
    engine: Engine, chain_url: str
) -> None:
    journal_n(engine, 5)
    chain = connect(chain_url, recorder_key=RECORDER_KEY, contract_address=None)
    try:
        config = AnchorConfig(batch_entries_max=2, batch_age_s=0, poll_s=0.01)
        AnchorWorker(engine, lambda: chain, config).run_until_anchored(timeout_s=30)
        contract = chain.contract_address
    finally:
        chain.close()
    code, out = _run("ledger", "verify", "--contract", contract)
    assert code == 0, out
    assert out.startswith(
        f"ok: 5 entries and 3 batches verified (roots of 3 batches checked on chain "
        f"{TESTER_CHAIN_ID} at {contract})"
    )
    assert len(out.strip().splitlines()) == 1


def test_ledger_verify_refuses_batches_naming_several_contracts(
    engine: Engine, chain_url: str
) -> None:
    journal_n(engine, 5)
    chain = connect(chain_url, recorder_key=RECORDER_KEY, contract_address=None)
    try:
        config = AnchorConfig(batch_entries_max=2, batch_age_s=0, poll_s=0.01)
        AnchorWorker(engine, lambda: chain, config).run_until_anchored(timeout_s=30)
        contract = chain.contract_address
    finally:
        chain.close()
    other = "0x" + "12" * 20
    with engine.begin() as conn:
        conn.execute(text("UPDATE anchor_batch SET contract = :c WHERE id = 2"), {"c": other})
    code, out = _run("ledger", "verify")
    assert code == 1
    assert out == (
        f"FAILED at seq 3: batch 2 (seq 3..4) names contract {other}, not the checked {contract}\n"
    )


def test_ledger_verify_refuses_an_unreadable_trust_file_in_one_line(
    engine: Engine, chain_url: str, tmp_path: Path
) -> None:
    journal_n(engine, 1)
    code, out = _run("ledger", "verify", "--trust", str(tmp_path / "missing.json"))
    assert code == 2
    assert out.startswith(f"error: cannot read trust file {tmp_path / 'missing.json'}:")
    (tmp_path / "bad.json").write_text('{"version": 1, "chain_id": 1, "contract": "0x12"}')
    code, out = _run("verify", str(tmp_path / "bad.json"), "--trust", str(tmp_path / "bad.json"))
    assert (code, out) == (2, "error: '0x12' is not a 0x-prefixed 20-byte address\n")


def test_ledger_verify_fails_when_the_chain_cannot_be_reached(
    engine: Engine, chain_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal_n(engine, 2)
    monkeypatch.setenv("DATABOURSE_CHAIN_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DATABOURSE_ANCHOR_CONTRACT_ADDRESS", "0x" + "12" * 20)
    get_settings.cache_clear()
    code, out = _run("ledger", "verify")
    assert code == 1
    assert out.startswith("FAILED: chain http://127.0.0.1:9:")
    assert len(out.strip().splitlines()) == 1


def test_serve_refuses_several_workers_on_the_in_process_evm(chain_url: str) -> None:
    code, out = _run("serve", "--workers", "2")
    assert code == 2
    assert "http(s)://" in out
    assert len(out.strip().splitlines()) == 1


def test_worker_exits_with_one_line_when_another_process_holds_the_chain(
    chain_url: str, tmp_path: Path
) -> None:
    directory = tmp_path / "chain"
    directory.mkdir()
    with (directory / LOCK_FILE).open("a") as held:  # what a running server holds
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, out = _run("worker")
    assert code == 1
    assert out.startswith("error: the eth-tester chain at")
    assert "in use by another process" in out
    assert len(out.strip().splitlines()) == 1
