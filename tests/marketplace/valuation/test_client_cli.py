"""The quality and valuation client methods and the ``bourse quality`` / ``bourse valuation``
commands, against a real server on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from marketplace.cli import app as cli
from marketplace.client import Databourse, DatabourseClientError
from tests.marketplace.assets.helpers import CHECKLIST_OK, CSV, metadata
from tests.marketplace.identity.helpers import PASSWORD, serve_exchange
from tests.marketplace.valuation.helpers import COST, INCOME, MARKET


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        yield url


def _listed(base_url: str, tmp_path: Path) -> tuple[Databourse, Databourse, int]:
    ops = Databourse(base_url)
    ops.identity.login("ops@databourse.test", PASSWORD)
    supplier = Databourse(base_url)
    supplier.identity.signup(
        "dora@supplier.test", PASSWORD, organization="Dora Data", roles=["supplier"]
    )
    ops.identity.verify_organization(supplier.identity.me().organization.id)
    asset = supplier.assets.register(metadata())
    source = tmp_path / "prices.csv"
    source.write_bytes(CSV)
    supplier.assets.upload_revision(asset.id, source, content_format="csv")
    supplier.assets.submit(asset.id)
    ops.assets.review(asset.id, decision="approved", checklist=CHECKLIST_OK)
    supplier.assets.list_in_catalog(asset.id)
    return supplier, ops, asset.id


def _wait_done(client: Databourse, asset_id: int) -> None:
    import time

    deadline = time.monotonic() + 30
    while client.quality.of_revision(asset_id, 1).status != "done":
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_the_client_covers_quality_and_valuation(base_url: str, tmp_path: Path) -> None:
    supplier, ops, asset_id = _listed(base_url, tmp_path)
    _wait_done(supplier, asset_id)
    with supplier, ops, Databourse(base_url) as anon:
        assert anon.quality.of_asset(asset_id).report is not None
        assert "<svg" in anon.quality.report_html(asset_id)
        again = supplier.quality.evaluate(asset_id, 1, update_frequency="weekly")
        assert again.status in ("queued", "running", "done")
        issued = supplier.valuation.issue(asset_id, {"income": INCOME})
        assert issued.value_minor == 497_370
        assert [v.id for v in anon.valuation.for_asset(asset_id)] == [issued.id]
        assert anon.valuation.get(asset_id, issued.id).report_hash == issued.report_hash
        assert anon.valuation.by_id(issued.id).asset_id == asset_id
        assert "Income" in anon.valuation.report_html(asset_id, issued.id)
        valuer = Databourse(base_url)
        valuer.identity.signup("vera@appraisal.test", PASSWORD, organization="Vera", roles=[])
        ops.identity.grant_role(valuer.identity.me().organization.id, "valuer")
        ops.identity.verify_organization(valuer.identity.me().organization.id)
        certified = valuer.valuation.issue(asset_id, {"cost": COST}, certified=True)
        assert certified.kind == "certified"
        assert certified.signature is not None
        with pytest.raises(DatabourseClientError) as err:
            supplier.valuation.issue(asset_id, {"income": INCOME}, certified=True)
        assert err.value.status == 403
        valuer.close()


def test_a_self_custody_valuer_certifies_through_the_client(base_url: str, tmp_path: Path) -> None:
    from eth_account import Account

    supplier, ops, asset_id = _listed(base_url, tmp_path)
    key = Account.create().key
    with supplier, ops, Databourse(base_url) as valuer:
        valuer.identity.login_siwe(key, organization="Wallet Appraisal", roles=[])
        ops.identity.grant_role(valuer.identity.me().organization.id, "valuer")
        ops.identity.verify_organization(valuer.identity.me().organization.id)

        certified = valuer.valuation.issue(
            asset_id, {"income": INCOME}, certified=True, private_key=bytes(key)
        )

        assert certified.certification is not None
        assert certified.certification["signer"] == valuer.identity.me().account.address


def test_bourse_quality_status_report_and_valuation_commands(
    base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    supplier, ops, asset_id = _listed(base_url, tmp_path)
    config = tmp_path / "config"
    config.mkdir()
    (config / "credentials.json").write_text(json.dumps({base_url: supplier.token}))
    monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(config))
    runner = CliRunner()

    status = runner.invoke(cli, ["quality", "status", str(asset_id), "--url", base_url])
    assert status.exit_code == 0, status.output
    assert "done, overall" in status.output

    page = tmp_path / "quality.html"
    report = runner.invoke(
        cli, ["quality", "report", str(asset_id), "--html", str(page), "--url", base_url]
    )
    assert report.exit_code == 0, report.output
    assert "completeness" in report.output
    assert 'path class="scores"' in page.read_text()

    comparables = tmp_path / "comparables.json"
    comparables.write_text(json.dumps(MARKET["comparables"]))
    args = ["valuation", "request", str(asset_id), "--url", base_url, "--method", "income"]
    args += ["--annual-income", "10000", "--income-share", "0.2", "--discount-rate", "0.1"]
    args += ["--horizon", "3", "--method", "market", "--quality", "90", "--timeliness", "100"]
    args += ["--volume", "40000", "--right", "processing_use", "--right", "operation"]
    args += ["--comparables", str(comparables), "--json"]
    requested = runner.invoke(cli, args)
    assert requested.exit_code == 0, requested.output
    valuation = json.loads(requested.output)
    assert [a["value_minor"] for a in valuation["report"]["approaches"]] == [497_370, 1_600_000]
    printed = runner.invoke(cli, args[:-1])  # without --json
    assert printed.exit_code == 0, printed.output
    assert int(printed.output.splitlines()[-1]) == valuation["id"] + 1

    html = tmp_path / "valuation.html"
    shown = runner.invoke(
        cli, ["valuation", "show", str(valuation["id"]), "--html", str(html), "--url", base_url]
    )
    assert shown.exit_code == 0, shown.output
    assert "4,973.70 CNY" in shown.output
    # how the value was reached, the market's comparables named with their source, without --json
    market = next(a for a in valuation["report"]["approaches"] if a["approach"] == "market")
    assert market["steps"]["comparable_0_source"].startswith("valuer")
    assert "comparable_0_source" in shown.output
    assert "how each value was reached" in shown.output
    assert "Market approach" in html.read_text()

    bad = runner.invoke(
        cli,
        [
            *("valuation", "request", str(asset_id), "--url", base_url, "--method", "income"),
            *("--annual-income", "0.01", "--income-share", "0.2", "--discount-rate", "-1"),
            *("--horizon", "3"),
        ],
    )
    assert bad.exit_code == 1
    assert "discount_rate" in bad.output
    supplier.close()
    ops.close()
