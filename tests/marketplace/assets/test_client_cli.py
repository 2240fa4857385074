"""The client methods and the ``bourse asset`` commands against a real server."""

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


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        yield url


def _operator(base_url: str) -> Databourse:
    ops = Databourse(base_url)
    ops.identity.login("ops@databourse.test", PASSWORD)
    return ops


def _supplier(base_url: str) -> Databourse:
    client = Databourse(base_url)
    client.identity.signup(
        email="dora@supplier.test",
        password=PASSWORD,
        organization="Dora Data",
        roles=["supplier"],
    )
    with _operator(base_url) as ops:
        ops.identity.verify_organization(client.identity.me().organization.id)
    return client


def test_the_client_covers_the_asset_lifecycle(base_url: str, tmp_path: Path) -> None:
    with _supplier(base_url) as client, _operator(base_url) as ops, Databourse(base_url) as anon:
        _lifecycle(client, ops, anon, tmp_path)


def _lifecycle(client: Databourse, ops: Databourse, anon: Databourse, tmp_path: Path) -> None:
    asset = client.assets.register(metadata())
    source = tmp_path / "prices.csv"
    source.write_bytes(CSV)
    seen: list[int] = []
    revision = client.assets.upload_revision(
        asset.id, source, content_format="csv", progress=seen.append
    )
    assert sum(seen) == len(CSV)
    assert revision.table_schema is not None
    out = tmp_path / "copy.csv"
    assert client.assets.download_revision(asset.id, 1, out) == len(CSV)
    assert out.read_bytes() == CSV
    assert client.assets.submit(asset.id).status == "under_review"
    ops.assets.review(asset.id, decision="approved", checklist=CHECKLIST_OK)
    assert client.assets.list_in_catalog(asset.id).status == "listed"
    assert [a.id for a in anon.assets.search(q="fruit").items] == [asset.id]
    assert client.assets.dcat(asset.id)["@type"] == "dcat:Dataset"
    assert client.assets.certificate(asset.id)["anchor_status"] == "pending"
    assert [r.registration_type for r in client.assets.registrations(asset.id)] == ["initial"]
    with pytest.raises(DatabourseClientError) as err:
        client.assets.register(metadata(license="nope"))
    assert err.value.status == 422


def test_bourse_asset_register_prints_the_id_and_certificate_writes_a_file(
    base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _supplier(base_url) as client, _operator(base_url) as ops:
        _cli_journey(base_url, client, ops, tmp_path, monkeypatch)


def _cli_journey(
    base_url: str,
    client: Databourse,
    ops: Databourse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "credentials.json").write_text(json.dumps({base_url: client.token}))
    monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(config))
    source = tmp_path / "prices.csv"
    source.write_bytes(CSV)
    result = CliRunner().invoke(
        cli,
        ["asset", "register", str(source), "--title", "Fruit prices", "--license", "CC0-1.0",
         "--keyword", "fruit", "--authority-statement", "own stalls", "--submit",
         "--url", base_url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    asset_id = int(result.output.strip().splitlines()[-1])
    assert client.assets.get(asset_id).status == "under_review"
    ops.assets.review(asset_id, decision="approved", checklist=CHECKLIST_OK)
    out = tmp_path / "cert.json"
    result = CliRunner().invoke(
        cli, ["asset", "certificate", str(asset_id), "-o", str(out), "--url", base_url]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["certificate"]["asset_id"] == asset_id
    bad = CliRunner().invoke(cli, ["asset", "certificate", "99999", "--url", base_url])
    assert bad.exit_code == 1


def test_the_demo_step_registers_approves_and_lists_an_asset(base_url: str, tmp_path: Path) -> None:
    from marketplace.cli.assets import demo

    with _supplier(base_url) as client, _operator(base_url) as ops:
        lines = demo(client, ops, tmp_path)
        assert len(lines) == 3
        assert client.assets.search().items[0].status == "listed"
