"""``bourse price suggest`` against a real server, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from marketplace.cli import app as cli
from marketplace.client import Databourse
from tests.marketplace.client.conftest import uploaded, verified_supplier
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange
from tests.marketplace.valuation.helpers import INCOME


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        yield url


def test_bourse_price_suggest_prints_the_range_and_the_reasoning(
    base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Databourse(base_url) as ops:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        supplier = verified_supplier(base_url, ops, "dora@supplier.test", "Dora Data")
    with supplier:
        asset_id = uploaded(supplier, tmp_path)
        config = tmp_path / "config"
        config.mkdir()
        (config / "credentials.json").write_text(json.dumps({base_url: supplier.token}))
        monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(config))
        runner = CliRunner()
        command = ["price", "suggest", str(asset_id), "--url", base_url]

        nothing = runner.invoke(cli, command)
        assert nothing.exit_code == 0, nothing.output
        assert f"no suggestion for asset {asset_id}" in nothing.output
        assert "- No valuation and no comparables: no suggestion." in nothing.output

        supplier.valuation.issue(asset_id, {"income": INCOME})
        shown = runner.invoke(cli, command)
        assert shown.exit_code == 0, shown.output
        assert f"asset {asset_id}: 4,973.70 CNY to 4,973.70 CNY, 4,973.70 CNY in the middle" in (
            shown.output
        )
        as_json = runner.invoke(cli, [*command, "--json"])
        assert json.loads(as_json.output)["mid_minor"] == 497_370

        missing = runner.invoke(cli, ["price", "suggest", "999999", "--url", base_url])
        assert missing.exit_code == 1
        assert "asset_not_found" in missing.output
