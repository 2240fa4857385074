"""Hostile content: uploaded HTML is never served as a page of the exchange, a multipart form
sent to the raw upload is told what to do, deep JSON Lines rows are refused before parsing, and
validation messages carry no library prefix."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace import limits
from tests.marketplace.assets.helpers import CSV, Party, blob_files, create, metadata, upload
from tests.marketplace.identity.helpers import row_counts

PAGE = b"<!doctype html><script>fetch('/me').then(r => r.text()).then(alert)</script>"


def test_an_uploaded_html_revision_downloads_as_a_sandboxed_attachment(
    api: TestClient, supplier: Party
) -> None:
    asset_id = int(create(api, supplier)["id"])
    r = api.put(
        f"/upload/assets/{asset_id}/revisions",
        params={"format": "opaque", "media_type": "text/html"},
        content=PAGE,
        headers=supplier.headers,
    )
    assert r.status_code == 201, r.text

    got = api.get(f"/assets/{asset_id}/revisions/1/content", headers=supplier.headers)

    assert got.status_code == 200
    assert got.content == PAGE
    assert got.headers["content-disposition"] == (
        f'attachment; filename="asset-{asset_id}-revision-1.bin"'
    )
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "sandbox; default-src 'none'"


def test_a_csv_download_is_named_for_its_format(api: TestClient, supplier: Party) -> None:
    asset_id = int(create(api, supplier)["id"])
    assert upload(api, supplier, asset_id, CSV).status_code == 201
    got = api.get(f"/assets/{asset_id}/revisions/1/content", headers=supplier.headers)
    assert got.headers["content-disposition"].endswith('revision-1.csv"')
    assert got.headers["content-security-policy"] == "sandbox; default-src 'none'"


def test_a_multipart_form_upload_is_told_to_send_the_raw_body(
    api: TestClient, supplier: Party, engine: Engine, blob_dir: Path
) -> None:
    asset_id = int(create(api, supplier)["id"])
    before = row_counts(engine)
    r = api.put(
        f"/upload/assets/{asset_id}/revisions",
        params={"format": "csv"},
        files={"file": ("prices.csv", CSV, "text/csv")},
        headers=supplier.headers,
    )
    assert r.status_code == 415
    assert r.json()["error"] == "multipart_upload"
    assert r.json()["message"].startswith("send the file as the raw request body")
    assert row_counts(engine) == before
    assert blob_files(blob_dir) == []


def test_a_deeply_nested_json_lines_row_is_refused_before_parsing(
    api: TestClient, supplier: Party, engine: Engine, blob_dir: Path
) -> None:
    asset_id = int(create(api, supplier)["id"])
    before = row_counts(engine)
    depth = 100_000  # parsed, it would overflow the C stack once py-evm is loaded
    rows = b'{"a": 1}\n{"a": ' + b"[" * depth + b"]" * depth + b"}\n"
    r = upload(api, supplier, asset_id, rows, fmt="jsonl")
    assert r.status_code == 422
    assert r.json() == {
        "error": "invalid_content",
        "message": "JSON Lines line 2 nests arrays and objects more than "
        f"{limits.jsonl_nesting_depth_max} deep",
    }
    assert row_counts(engine) == before
    assert blob_files(blob_dir) == []


@pytest.mark.parametrize("row", [b'{"\\ud800": 1}', b'{"a": "x\\udc00"}', b'{"a": "\xed\xa0\x80"}'])
def test_a_json_lines_row_with_a_lone_surrogate_is_refused(
    api: TestClient, supplier: Party, engine: Engine, blob_dir: Path, row: bytes
) -> None:
    asset_id = int(create(api, supplier)["id"])
    before = row_counts(engine)
    r = upload(api, supplier, asset_id, b'{"a": 1}\n' + row + b"\n", fmt="jsonl")
    assert r.status_code == 422, r.text  # was a 500: the schema's bounds encode every key
    assert r.json()["error"] == "invalid_content"
    assert r.json()["message"].startswith("JSON Lines line 2 holds a lone UTF-16 surrogate")
    assert row_counts(engine) == before
    assert blob_files(blob_dir) == []


def test_nested_json_lines_within_the_limit_are_accepted(api: TestClient, supplier: Party) -> None:
    asset_id = int(create(api, supplier)["id"])
    depth = limits.jsonl_nesting_depth_max - 1  # the row object itself is one level
    rows = b'{"a": ' + b"[" * depth + b"]" * depth + b"}\n"
    assert upload(api, supplier, asset_id, rows, fmt="jsonl").status_code == 201


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"personal_information": True},
            "an asset holding personal information needs a lawful_basis",
        ),
        (
            {"license": "mine"},
            "'license': unknown licence 'mine'; use one of: ",
        ),
    ],
)
def test_validation_messages_carry_no_library_prefix(
    api: TestClient, supplier: Party, overrides: dict[str, object], message: str
) -> None:
    r = api.post("/assets", json=metadata(**overrides), headers=supplier.headers)
    assert r.status_code == 422
    assert r.json()["message"].startswith(message)
    assert "Value error" not in r.json()["message"]
