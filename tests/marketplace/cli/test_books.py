"""``bourse deposit``, ``withdraw``, ``payment``, ``balance``, ``statement`` and ``books
reconcile`` against a served exchange, with amounts as people type them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from marketplace.cli import app as cli
from marketplace.client import Databourse
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        yield url


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config"
    path.mkdir()
    monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(path))
    return path


@pytest.fixture
def ops(base_url: str) -> Iterator[Databourse]:
    with Databourse(base_url) as client:
        client.identity.login(OPERATOR_EMAIL, PASSWORD)
        yield client


def login_cli(config: Path, base_url: str, client: Databourse) -> None:
    (config / "credentials.json").write_text(json.dumps({base_url: client.token}))


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})


def test_deposit_withdraw_balance_statement_and_reconcile(
    base_url: str, ops: Databourse, config: Path
) -> None:
    with Databourse(base_url) as buyer:
        buyer.identity.signup(
            "carol@buyer.test", PASSWORD, organization="Carol Analytics", roles=["buyer"]
        )
        ops.identity.verify_organization(buyer.identity.me().organization.id)
        login_cli(config, base_url, buyer)

        r = run("deposit", "1,250.50", "--url", base_url)
        assert r.exit_code == 0, r.output
        assert "confirmed" in r.output
        assert "available: 1,250.50 CNY" in r.output
        r = run("withdraw", "0.50", "--transfer-id", "payout-1", "--url", base_url)
        assert r.exit_code == 0, r.output
        assert "available: 1,250.00 CNY" in r.output
        assert buyer.books.balance().available_minor == 125_000

        refused = run("withdraw", "5000", "--url", base_url)
        assert refused.exit_code == 1
        assert "insufficient_funds" in refused.output
        for bad in ("-3", "0", "1.234", "ten"):
            r = run("deposit", bad, "--url", base_url)
            assert r.exit_code == 2, (bad, r.output)
        assert buyer.books.balance().available_minor == 125_000

        r = run("balance", "--url", base_url)
        assert "held in escrow: 0.00 CNY" in r.output
        r = run("statement", "--url", base_url)
        assert r.exit_code == 0, r.output
        assert "deposit" in r.output
        assert "withdrawal" in r.output
        r = run("statement", "--csv", "--url", base_url)
        rows = list(csv.DictReader(io.StringIO(r.output)))
        # The withdrawal: available → withdrawing when asked for, withdrawing → the bank.
        assert [(row["account"], row["balance_minor"]) for row in rows] == [
            ("available", "125050"),
            ("available", "125000"),
            ("withdrawing", "50"),
            ("withdrawing", "0"),
        ]
        r = run("statement", "--json", "--url", base_url)
        assert r.exit_code == 0, r.output
        document = json.loads(r.output)
        assert [line["balance_minor"] for line in document["lines"]] == [125050, 125000, 50, 0]
        assert all(isinstance(line["seq"], int) for line in document["lines"])
        r = run("payment", "--url", base_url)
        assert r.exit_code == 0, r.output
        assert "withdrawal" in r.output
        assert "deposit" in r.output
        assert "confirmed" in r.output
        newest = buyer.books.payments().items[0]
        r = run("payment", str(newest.id), "--url", base_url)
        assert r.exit_code == 0, r.output
        assert f"withdrawal {newest.id}: 0.50 CNY, confirmed" in r.output

        denied = run("books", "reconcile", "--url", base_url)
        assert denied.exit_code == 1

    login_cli(config, base_url, ops)
    r = run("books", "reconcile", "--url", base_url)
    assert r.exit_code == 0, r.output
    assert "the books reconcile" in r.output
    assert "clearing: -1,250.00 CNY" in r.output  # what the exchange holds for its customers
