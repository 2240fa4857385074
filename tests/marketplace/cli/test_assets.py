"""``bourse asset`` against a served exchange: public reads without login, the authority
statement never invented, the format detected from the content, and no draft left behind by a
failed upload."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from marketplace.cli import app as cli
from marketplace.client import Databourse
from tests.marketplace.assets.helpers import CHECKLIST_OK, CSV, metadata
from tests.marketplace.identity.helpers import PASSWORD, serve_exchange

EVALUATION_WAIT_S = 60


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
def supplier(base_url: str, config: Path) -> Iterator[Databourse]:
    """A verified supplier, logged in for the CLI too."""
    client = Databourse(base_url)
    client.identity.signup(
        email="dora@supplier.test", password=PASSWORD, organization="Dora Data", roles=["supplier"]
    )
    with Databourse(base_url) as ops:
        ops.identity.login("ops@databourse.test", PASSWORD)
        ops.identity.verify_organization(client.identity.me().organization.id)
    (config / "credentials.json").write_text(json.dumps({base_url: client.token}))
    with client:
        yield client


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def register(base_url: str, path: Path, *extra: str) -> Result:
    return run(
        "asset", "register", str(path), "--title", "Fruit prices",
        "--authority-statement", "collected at our own stalls", *extra, "--url", base_url,
    )  # fmt: skip


def drafts(client: Databourse) -> int:
    return client.assets.search(owner=client.identity.me().organization.id).total


def test_search_show_and_certificate_need_no_login(
    base_url: str, supplier: Databourse, config: Path, tmp_path: Path
) -> None:
    asset = supplier.assets.register(metadata())
    source = tmp_path / "prices.csv"
    source.write_bytes(CSV)
    supplier.assets.upload_revision(asset.id, source, content_format="csv")
    supplier.assets.submit(asset.id)
    with Databourse(base_url) as ops:
        ops.identity.login("ops@databourse.test", PASSWORD)
        ops.assets.review(asset.id, decision="approved", checklist=CHECKLIST_OK)
    supplier.assets.list_in_catalog(asset.id)
    (config / "credentials.json").unlink()  # nobody is logged in from here on

    found = run("asset", "search", "fruit", "--url", base_url)
    assert found.exit_code == 0, found.output
    assert "Fruit prices" in found.output
    shown = run("asset", "show", str(asset.id), "--url", base_url)
    assert shown.exit_code == 0, shown.output
    assert "listed" in shown.output
    assert "revision 1: csv" in shown.output
    out = tmp_path / "cert.json"
    got = run("asset", "certificate", str(asset.id), "-o", str(out), "--url", base_url)
    assert got.exit_code == 0, got.output
    assert json.loads(out.read_text())["certificate"]["asset_id"] == asset.id
    report = run("quality", "report", str(asset.id), "--url", base_url)
    assert report.exit_code == 0, report.output
    assert "not logged in" not in found.output + shown.output + got.output + report.output


def test_register_refuses_without_an_authority_statement_when_not_at_a_terminal(
    base_url: str, supplier: Databourse, tmp_path: Path
) -> None:
    source = tmp_path / "prices.csv"
    source.write_bytes(CSV)
    result = run("asset", "register", str(source), "--title", "Fruit prices", "--url", base_url)
    assert result.exit_code == 2
    assert "missing --authority-statement" in result.output
    assert drafts(supplier) == 0


def test_register_asks_for_the_authority_statement_at_a_terminal(
    base_url: str, supplier: Databourse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("marketplace.cli.assets.interactive", lambda: True)
    source = tmp_path / "prices.csv"
    source.write_bytes(CSV)
    result = run(
        "asset", "register", str(source), "--title", "Fruit prices", "--url", base_url,
        stdin="licensed from the market board, contract 17\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Authority statement" in result.output
    asset_id = int(result.stdout.strip().splitlines()[-1])
    assert supplier.assets.get(asset_id).authority_proof == (
        "licensed from the market board, contract 17"
    )


def test_a_csv_without_the_csv_suffix_is_detected_and_stored_as_csv(
    base_url: str, supplier: Databourse, tmp_path: Path
) -> None:
    source = tmp_path / "prices-export"
    source.write_bytes(CSV)
    result = register(base_url, source)
    assert result.exit_code == 0, result.output
    assert "format: csv (detected from the content)" in result.output
    asset_id = int(result.stdout.strip().splitlines()[-1])
    (revision,) = supplier.assets.revisions(asset_id)
    assert revision.content_format == "csv"
    assert revision.table_schema is not None


def test_content_wins_over_a_misleading_suffix_and_says_so(
    base_url: str, supplier: Databourse, tmp_path: Path
) -> None:
    source = tmp_path / "rows.csv"
    source.write_text('{"id": 1, "fruit": "apple"}\n{"id": 2, "fruit": "pear"}\n')
    result = register(base_url, source)
    assert result.exit_code == 0, result.output
    assert "format: jsonl (detected from the content, although the name says csv)" in (
        result.output
    )
    asset_id = int(result.stdout.strip().splitlines()[-1])
    assert supplier.assets.revisions(asset_id)[0].content_format == "jsonl"


def test_bytes_that_are_no_table_are_stored_opaque_and_the_command_says_why(
    base_url: str, supplier: Databourse, tmp_path: Path
) -> None:
    source = tmp_path / "scan.bin"
    source.write_bytes(bytes(range(256)) * 8)
    result = register(base_url, source)
    assert result.exit_code == 0, result.output
    assert "format: opaque (the content is not CSV, JSON Lines or Parquet" in result.output


def test_a_failed_upload_deletes_the_draft_it_created(
    base_url: str, supplier: Databourse, tmp_path: Path
) -> None:
    source = tmp_path / "broken.csv"
    source.write_text("id,fruit\n1,apple\n2,pear,extra\n")
    result = register(base_url, source, "--format", "csv")
    assert result.exit_code == 1
    assert "upload failed" in result.output
    assert "was deleted again: nothing is left behind" in result.output
    assert drafts(supplier) == 0


def test_upload_retries_into_a_draft_and_delete_removes_it(
    base_url: str, supplier: Databourse, tmp_path: Path
) -> None:
    asset = supplier.assets.register(metadata())
    source = tmp_path / "prices.csv"
    source.write_bytes(CSV)
    uploaded = run("asset", "upload", str(asset.id), str(source), "--url", base_url)
    assert uploaded.exit_code == 0, uploaded.output
    assert f"asset {asset.id}: revision 1 uploaded" in uploaded.output
    # The upload starts the quality evaluation; a draft is deleted once it has finished (409
    # while it runs, as a user is told), so wait for it as the user would.
    deadline = time.monotonic() + EVALUATION_WAIT_S
    while supplier.quality.of_revision(asset.id, 1).status in {"queued", "running"}:
        assert time.monotonic() < deadline, "the quality evaluation did not finish"
        time.sleep(0.05)
    deleted = run("asset", "delete", str(asset.id), "--url", base_url)
    assert deleted.exit_code == 0, deleted.output
    assert f"asset {asset.id} deleted with 1 revision(s)" in deleted.output
    assert drafts(supplier) == 0
    again = run("asset", "delete", str(asset.id), "--url", base_url)
    assert again.exit_code == 1
    assert "asset_not_found" in again.output
