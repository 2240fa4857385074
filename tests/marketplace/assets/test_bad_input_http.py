"""Bad input: a clear 4xx, no partial rows, no orphan blobs, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.assets.endpoints import revisions as revision_endpoints
from tests.marketplace.assets.helpers import CSV, Party, blob_files, create, metadata, upload
from tests.marketplace.identity.helpers import row_counts


@pytest.fixture
def draft(api: TestClient, supplier: Party) -> int:
    return int(create(api, supplier)["id"])


def _unchanged(engine: Engine, before: dict[str, int], blob_dir: Path) -> None:
    assert row_counts(engine) == before
    assert blob_files(blob_dir) == []


def test_a_truncated_upload_is_refused_and_leaves_nothing(
    api: TestClient, supplier: Party, draft: int, engine: Engine, blob_dir: Path
) -> None:
    before = row_counts(engine)
    r = upload(api, supplier, draft, CSV, headers={"Content-Length": str(len(CSV) + 100)})
    assert r.status_code == 400
    assert r.json()["error"] == "upload_incomplete"
    _unchanged(engine, before, blob_dir)


def test_a_file_over_the_limit_is_refused_while_streaming(
    api: TestClient, supplier: Party, draft: int, engine: Engine, blob_dir: Path
) -> None:
    before = row_counts(engine)

    def body() -> Iterator[bytes]:  # no Content-Length: chunked, caught while streaming
        yield b"a,b\n"
        for _ in range(40):
            yield b"1,2\n" * 8192

    r = upload(api, supplier, draft, body())
    assert r.status_code == 413
    assert r.json()["error"] == "upload_too_large"
    _unchanged(engine, before, blob_dir)


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    api: TestClient, supplier: Party, draft: int, engine: Engine, blob_dir: Path
) -> None:
    before = row_counts(engine)
    r = upload(api, supplier, draft, b"x" * 1_000_001, fmt="opaque")
    assert r.status_code == 413
    _unchanged(engine, before, blob_dir)


def test_a_csv_with_inconsistent_columns_is_refused_unless_declared_opaque(
    api: TestClient, supplier: Party, draft: int, engine: Engine, blob_dir: Path
) -> None:
    before = row_counts(engine)
    ragged = b"a,b\n1,2\n3,4,5\n"
    r = upload(api, supplier, draft, ragged)
    assert r.status_code == 422
    assert "line 3 has 3 columns" in r.json()["message"]
    _unchanged(engine, before, blob_dir)
    r = upload(api, supplier, draft, ragged, fmt="opaque")
    assert r.status_code == 201, r.text
    assert r.json()["table_schema"] is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"license": "WTFPL-9"}, "unknown licence"),
        ({"classification": "secret"}, "classification"),
        ({"title": ""}, "title"),
        ({"personal_information": True}, "lawful_basis"),
        ({"temporal_start": "2025-01-01", "temporal_end": "2024-01-01"}, "temporal_start"),
        ({"accrual_periodicity": "hourly-ish"}, "update frequency"),
        ({"languages": ["Chinese"]}, "language tag"),
        ({"source_type": "stolen"}, "source_type"),
        ({"extra_field": 1}, "unknown field"),
    ],
)
def test_invalid_metadata_is_refused(
    api: TestClient, supplier: Party, engine: Engine, overrides: dict[str, object], message: str
) -> None:
    before = row_counts(engine)
    r = api.post("/assets", json=metadata(**overrides), headers=supplier.headers)
    assert r.status_code == 422, r.text
    assert message in r.json()["message"]
    assert row_counts(engine) == before


def test_a_metadata_change_to_an_unknown_licence_is_refused(
    api: TestClient, supplier: Party, draft: int, engine: Engine
) -> None:
    before = row_counts(engine)
    r = api.patch(f"/assets/{draft}", json={"license": "nope"}, headers=supplier.headers)
    assert r.status_code == 422
    r = api.patch(f"/assets/{draft}", json={"personal_information": True}, headers=supplier.headers)
    assert r.status_code == 422
    assert row_counts(engine) == before


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/data.csv",
        "https://localhost/data.csv",
        "https://10.0.0.5/data.csv",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/x",
        "https://[::ffff:192.168.0.1]/x",
        "http://data.example.org/x",
        "https://internal.example/x",
    ],
)
def test_an_external_source_on_a_non_public_address_is_refused(
    *,
    api: TestClient,
    supplier: Party,
    draft: int,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
) -> None:
    table = {"internal.example": ["192.168.7.7"], "data.example.org": ["93.184.216.34"]}
    monkeypatch.setattr(
        revision_endpoints, "resolver", lambda host, port: table.get(host, ["127.0.0.1"])
    )
    before = row_counts(engine)
    r = api.post(f"/assets/{draft}/revisions", json={"url": url}, headers=supplier.headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "unsafe_source"
    assert row_counts(engine) == before


def test_a_public_external_source_becomes_a_revision(
    api: TestClient, supplier: Party, draft: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(revision_endpoints, "resolver", lambda host, port: ["93.184.216.34"])
    r = api.post(
        f"/assets/{draft}/revisions",
        json={"url": "https://data.example.org/api/v1/prices", "kind": "api"},
        headers=supplier.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "external_api"
    assert r.json()["sha256"] is None


def test_review_without_reasons_or_with_failed_items_is_refused(
    api: TestClient, supplier: Party, ops: Party, draft: int
) -> None:
    upload(api, supplier, draft, CSV)
    api.post(f"/assets/{draft}/submit", json={}, headers=supplier.headers)
    failed = {
        "authority": {"passed": False},
        "personal_information": {"passed": True},
        "classification": {"passed": True},
        "metadata_complete": {"passed": True},
    }
    r = api.post(
        f"/assets/{draft}/reviews",
        json={"decision": "approved", "checklist": failed},
        headers=ops.headers,
    )
    assert r.status_code == 422
    r = api.post(
        f"/assets/{draft}/reviews",
        json={"decision": "rejected", "checklist": failed, "reasons": " "},
        headers=ops.headers,
    )
    assert r.status_code == 422


def test_a_supplier_cannot_review(api: TestClient, supplier: Party, draft: int) -> None:
    r = api.post(f"/assets/{draft}/reviews", json={}, headers=supplier.headers)
    assert r.status_code in (403, 422)


def test_submitting_without_content_is_a_conflict(
    api: TestClient, supplier: Party, draft: int
) -> None:
    r = api.post(f"/assets/{draft}/submit", json={}, headers=supplier.headers)
    assert r.status_code == 409
    assert "upload content" in r.json()["message"]


def test_json_lines_that_are_not_objects_are_refused(
    api: TestClient, supplier: Party, draft: int, blob_dir: Path
) -> None:
    r = upload(api, supplier, draft, b'{"a": 1}\n[1]\n', fmt="jsonl")
    assert r.status_code == 422
    assert blob_files(blob_dir) == []
