"""A zip bomb submitted as dispute evidence is refused with a 4xx and nothing is stored, neither
blob, item nor journal entry; an ordinary zip is taken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace import limits
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.disputes.helpers import open_dispute, paid_order, post_file
from tests.marketplace.orders.helpers import entries
from tests.marketplace.test_archives import zip_bomb, zip_of

MIB = 1024 * 1024


@pytest.fixture
def dispute(
    api: TestClient,
    asset_runtime: Runtime,
    *,
    supplier: Party,
    ops: Party,
    buyer: Party,
    judge: Party,
) -> int:
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    return int(open_dispute(api, buyer, order["id"])["id"])


def _stored(api: TestClient, who: Party, dispute_id: int, blob_dir: Path) -> tuple[Any, ...]:
    items = api.get(f"/disputes/{dispute_id}/evidence", headers=who.headers).json()["items"]
    journaled = [
        e for e in entries(api, f"dispute:{dispute_id}") if e["kind"] == "evidence.submitted"
    ]
    blobs = {p for p in blob_dir.rglob("*") if p.is_file() and not p.name.endswith(".part")}
    return [i for i in items if i["source"] == "party"], journaled, blobs


def test_a_zip_bomb_as_evidence_is_refused_and_nothing_is_stored(
    api: TestClient,
    dispute: int,
    buyer: Party,
    blob_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "archive_expanded_bytes_max", 4 * MIB)
    bomb = zip_bomb(64 * MIB)
    assert len(bomb) < 128 * 1024  # well under the 20 MiB file limit
    before = _stored(api, buyer, dispute, blob_dir)
    r = post_file(api, buyer, dispute, bomb, title="logs.zip", media_type="application/zip")
    assert r.status_code == 413
    assert r.json() == {
        "error": "evidence_archive_too_large",
        "message": f"the file is an archive that expands to more than {4 * MIB} bytes; "
        "send the files it holds instead",
    }
    assert _stored(api, buyer, dispute, blob_dir) == before


def test_a_bomb_named_as_a_pdf_is_refused_all_the_same(
    api: TestClient, dispute: int, buyer: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "archive_expanded_bytes_max", 4 * MIB)
    r = post_file(api, buyer, dispute, zip_bomb(8 * MIB), media_type="application/pdf")
    assert (r.status_code, r.json()["error"]) == (413, "evidence_archive_too_large")


def test_an_unreadable_zip_is_refused_as_invalid(
    api: TestClient, dispute: int, buyer: Party
) -> None:
    broken = zip_of({"a.txt": b"hello " * 1000})[:-30]
    r = post_file(api, buyer, dispute, broken, media_type="application/zip")
    assert (r.status_code, r.json()["error"]) == (422, "invalid_evidence")
    assert "cannot be read" in r.json()["message"]


def test_an_ordinary_zip_is_taken(api: TestClient, dispute: int, buyer: Party) -> None:
    archive = zip_of({"rows.csv": b"id,name\n1,apple\n" * 10_000})
    r = post_file(api, buyer, dispute, archive, media_type="application/zip")
    assert r.status_code == 201, r.text
    assert r.json()["size_bytes"] == len(archive)
