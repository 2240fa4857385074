"""``bourse fingerprint detect`` against a served exchange: the supplier traces a buyer's
leaked download to its licence; a file carrying no mark names none and exits 1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from marketplace.cli import app as cli
from marketplace.client import Databourse
from tests.marketplace.assets.helpers import CHECKLIST_OK, metadata
from tests.marketplace.client.conftest import verified_supplier
from tests.marketplace.fingerprint.test_marking import dataset, leak
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange
from tests.marketplace.listings.helpers import FIXED, TERMS

TABLE = dataset(rows=500, seed=9)


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        yield url


def _bought_copy(
    base_url: str, engine: Engine, buyer: Databourse, listing_id: int
) -> tuple[int, bytes]:
    """The buyer's licence id and its downloaded (fingerprinted) copy."""
    buyer.books.deposit(FIXED["amount_minor"])
    order = buyer.orders.buy(listing_id, purpose="research")  # paying grants the licence
    licence = buyer.delivery.licence_for_order(order.id)
    auth = {"Authorization": f"Bearer {buyer.token}"}
    url = httpx.post(f"{base_url}/licences/{licence.id}/download-url", headers=auth)
    assert url.status_code == 201, url.text
    return licence.id, httpx.get(base_url + url.json()["path"]).content


def test_bourse_fingerprint_detect_names_the_licence_of_a_leaked_copy(
    base_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Databourse(base_url) as ops:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        supplier = verified_supplier(base_url, ops, "dora@supplier.test", "Dora Data")
        buyer = Databourse(base_url)
        buyer.identity.signup("carol@buyer.test", PASSWORD, organization="Carol", roles=["buyer"])
        ops.identity.verify_organization(buyer.identity.me().organization.id)
        asset = supplier.assets.register(metadata())
        (tmp_path / "air.csv").write_bytes(TABLE)
        supplier.assets.upload_revision(asset.id, tmp_path / "air.csv", content_format="csv")
        supplier.assets.submit(asset.id)
        ops.assets.review(asset.id, decision="approved", checklist=CHECKLIST_OK)
    with supplier, buyer:
        listing = supplier.listings.create(asset.id, TERMS, FIXED, fingerprint=True)
        licence_id, copy = _bought_copy(base_url, engine, buyer, listing.id)
        (tmp_path / "leaked.csv").write_bytes(leak(copy, seed=4))
        config = tmp_path / "config"
        config.mkdir()
        (config / "credentials.json").write_text(json.dumps({base_url: supplier.token}))
        monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(config))
        command = ["fingerprint", "detect", "--asset", str(asset.id), "--url", base_url]
        runner = CliRunner()

        found = runner.invoke(cli, [*command, str(tmp_path / "leaked.csv")], env={"COLUMNS": "200"})
        assert found.exit_code == 0, found.output
        assert found.output.strip().splitlines()[-1] == str(licence_id)
        assert f"licence {licence_id}:" in found.output
        assert f"buyer organisation {buyer.identity.me().organization.id}" in found.output

        # A leak larger than a request may carry is sent in part: its first whole rows.
        big = leak(copy, seed=4) + b"2099-01-01,filler,0\n" * (1_100_000 // 20)
        (tmp_path / "big.csv").write_bytes(big)
        found = runner.invoke(cli, [*command, str(tmp_path / "big.csv")], env={"COLUMNS": "200"})
        assert found.exit_code == 0, found.output
        assert found.output.strip().splitlines()[-1] == str(licence_id)
        assert "sending its first" in " ".join(found.output.split())

        none = runner.invoke(cli, [*command, str(tmp_path / "air.csv")], env={"COLUMNS": "200"})
        assert none.exit_code == 1, none.output
        assert "no licence" in none.output
