"""``bourse dispute evidence`` against a served exchange: the buyer opens a dispute through the
client (a verified arbitrator in the pool is drawn), submits a file and a statement from the
command line; the supplier reads them back through the client, checked against their SHA-256."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from marketplace.cli import app as cli
from marketplace.client import Databourse
from tests.marketplace.assets.helpers import CHECKLIST_OK
from tests.marketplace.client.conftest import uploaded, verified_supplier
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange
from tests.marketplace.listings.helpers import FIXED, TERMS


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        yield url


def test_bourse_dispute_evidence_submits_a_file_and_a_statement(
    base_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Databourse(base_url) as ops:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        supplier = verified_supplier(base_url, ops, "dora@supplier.test", "Dora Data")
        buyer = Databourse(base_url)
        buyer.identity.signup("carol@buyer.test", PASSWORD, organization="Carol", roles=["buyer"])
        ops.identity.verify_organization(buyer.identity.me().organization.id)
        with Databourse(base_url) as judge:  # the one arbitrator in the pool: drawn
            judge.identity.signup("jo@arbiters.test", PASSWORD, organization="Jo", roles=["buyer"])
            judging = judge.identity.me().organization.id
            ops.identity.verify_organization(judging)
            ops.identity.grant_role(judging, "arbitrator")
        asset_id = uploaded(supplier, tmp_path)
        supplier.assets.submit(asset_id)
        ops.assets.review(asset_id, decision="approved", checklist=CHECKLIST_OK)
    with supplier, buyer:
        listing = supplier.listings.create(asset_id, TERMS, FIXED)
        buyer.books.deposit(FIXED["amount_minor"] + 10_000)  # the price and the opener's fee
        order = buyer.orders.buy(listing.id, purpose="research")
        dispute = buyer.disputes.open(
            order.id, reason="quality_below_report", statement="Rows are missing."
        ).id
        report = tmp_path / "recheck.pdf"
        report.write_bytes(b"%PDF-1.4 rows missing\n" * 10)
        config = tmp_path / "config"
        config.mkdir()
        (config / "credentials.json").write_text(json.dumps({base_url: buyer.token}))
        monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(config))
        runner = CliRunner()
        base = ["dispute", "evidence", str(dispute), "--url", base_url]

        filed = runner.invoke(cli, [*base, str(report), "--json"], env={"COLUMNS": "200"})
        assert filed.exit_code == 0, filed.output
        item = json.loads(filed.output)
        assert (item["kind"], item["title"], item["side"]) == ("file", "recheck.pdf", "buyer")
        said = runner.invoke(cli, [*base, "--statement", "Rows are missing."])
        assert said.exit_code == 0, said.output
        assert "statement" in said.output
        neither = runner.invoke(cli, base)
        assert neither.exit_code == 2

        listed = supplier.dispute_evidence.list(dispute)
        assert [i.kind for i in listed.items if i.source == "party"] == ["file", "statement"]
        assert supplier.dispute_evidence.download(dispute, item["id"]) == report.read_bytes()
