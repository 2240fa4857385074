"""The blob sweeper over a real exchange: every blob a row names (an uploaded revision, a
licence's marked copy, a party's evidence) is kept and still served after a sweep; a blob
nothing names and an abandoned partial upload are found once old, and deleted only when asked
(``bourse blobs sweep``, ``--delete``)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

import marketplace.tables  # noqa: F401 -- every table, for the list below
from marketplace.blobs.store import FileBlobStore
from marketplace.blobs.sweep import delete, find
from marketplace.cli import app as cli
from marketplace.runtime import Runtime
from marketplace.settings import get_settings
from tests.marketplace.assets.helpers import Party, create, review, upload
from tests.marketplace.delivery.helpers import bought, issued, licence_of
from tests.marketplace.disputes.helpers import ARBITRATION_FEE, open_dispute, post_file
from tests.marketplace.fingerprint.test_marking import dataset
from tests.marketplace.listings.helpers import create_listing
from tests.marketplace.orders.money import fund

HOUR_S = 3600


def test_every_table_naming_a_blob_is_one_the_sweeper_reads() -> None:
    """``blobs.sweep.referenced_keys`` reads these three; a new table naming blobs must join it,
    or the sweeper would delete its blobs."""
    naming = {t.name for t in SQLModel.metadata.sorted_tables if "blob_key" in t.c}
    assert naming == {"asset_revision", "delivery_marked_copy", "dispute_evidence"}


def _fingerprinted_order(
    api: TestClient, runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> tuple[dict[str, object], int]:
    """The buyer's paid order of a fingerprinted listing of a table that can carry a mark, and
    its licence's id."""
    asset_id = int(create(api, supplier)["id"])
    assert upload(api, supplier, asset_id, dataset(rows=300, seed=5)).status_code == 201
    assert api.post(f"/assets/{asset_id}/submit", json={}, headers=supplier.headers).is_success
    assert review(api, ops, asset_id, "approved").status_code == 201
    order = bought(api, buyer, create_listing(api, supplier, asset_id, fingerprint=True))
    return order, licence_of(runtime, int(order["id"]))


def _age(paths: list[Path], hours: int) -> None:
    then = time.time() - hours * HOUR_S
    for path in paths:
        os.utime(path, (then, then))


def _orphan(store: FileBlobStore, size_bytes: int) -> Path:
    with store.writer() as writer:
        writer.write(os.urandom(size_bytes))
        return store.path(writer.commit())


def test_only_what_nothing_names_is_swept_and_every_named_blob_still_serves(
    api: TestClient,
    asset_runtime: Runtime,
    blob_dir: Path,
    *,
    supplier: Party,
    ops: Party,
    buyer: Party,
    judge: Party,
) -> None:
    order, licence_id = _fingerprinted_order(api, asset_runtime, supplier, ops, buyer)
    url = issued(api, buyer, licence_id)  # the licence's marked copy is made and stored
    marked = api.get(url["path"])
    assert marked.status_code == 200, marked.text
    fund(asset_runtime.engine, buyer.organization_id, ARBITRATION_FEE)
    dispute = open_dispute(api, buyer, order["id"])["id"]
    filed = post_file(api, buyer, dispute, b"day,price\n", title="rows.csv")
    assert filed.status_code == 201, filed.text
    store = FileBlobStore(blob_dir)
    named = store.stored_files()
    assert len(named) == 3  # the revision, the marked copy, the evidence
    orphan = _orphan(store, 100)
    part = store.tmp_dir / "upload-abandoned.part"
    part.write_bytes(b"half")
    young = _orphan(store, 7)
    _age([*named, orphan, part], hours=2)

    with Session(asset_runtime.engine) as session:
        found = find(store, session, now_s=time.time(), grace_s=HOUR_S)
    assert (found.unreferenced, found.partial) == ([orphan], [part])
    assert (found.young, found.unknown, found.size_bytes) == (1, 0, 104)
    assert delete(found) == 2
    assert sorted(store.stored_files()) == sorted([*named, young])

    assert api.get(url["path"]).content == marked.content
    content = api.get(f"/assets/{order['asset_id']}/revisions/1/content", headers=supplier.headers)
    assert content.status_code == 200, content.text
    evidence = filed.json()["id"]
    got = api.get(f"/disputes/{dispute}/evidence/{evidence}/file", headers=judge.headers)
    assert (got.status_code, got.content) == (200, b"day,price\n")


@pytest.fixture
def settings_env(
    asset_runtime: Runtime, blob_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The CLI's settings name the test's database and blob store. The command opens
    DATABOURSE_DATABASE_URL: it gets the test database's engine (on PostgreSQL that lives in a
    schema of its own, which the URL does not say)."""
    monkeypatch.setattr("marketplace.db.make_engine", lambda _url: asset_runtime.engine)
    monkeypatch.setenv("DATABOURSE_DATABASE_URL", asset_runtime.settings.database_url)
    monkeypatch.setenv("DATABOURSE_BLOB_URL", f"file://{blob_dir}")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("settings_env")
def test_bourse_blobs_sweep_says_what_would_go_and_deletes_only_when_asked(blob_dir: Path) -> None:
    store = FileBlobStore(blob_dir)
    orphan = _orphan(store, 10)
    _age([orphan], hours=30)
    runner = CliRunner()
    said = runner.invoke(cli, ["blobs", "sweep"])
    assert said.exit_code == 0, said.output
    assert "1 blobs no row names and 0 abandoned partial uploads, 10 bytes" in said.output
    assert "run again with --delete to delete them" in said.output
    assert orphan.exists()
    kept = runner.invoke(cli, ["blobs", "sweep", "--older-than-h", "31"])
    assert "0 blobs no row names" in kept.output
    assert orphan.exists()
    swept = runner.invoke(cli, ["blobs", "sweep", "--delete"])
    assert swept.exit_code == 0, swept.output
    assert "deleted 1 files" in swept.output
    assert not orphan.exists()
