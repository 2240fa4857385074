"""``client.delivery.download`` resumes a broken transfer with ``Range`` and checks the bytes
against the delivery.served entry: the exchange is played by a mock transport whose first
answer breaks off mid-file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketplace.client import Databourse, DatabourseClientError

DATA = bytes(range(256)) * 40
NOW = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
LICENCE = {
    "id": 1, "order_id": 2, "listing_id": 5, "asset_id": 6, "revision": 1,
    "buyer_organization_id": 7, "supplier_organization_id": 8, "purpose": "research",
    "purposes": ["research"], "delivery_mode": "key_wrapped", "max_downloads": 5,
    "downloads": 0, "expires_at": NOW, "granted_at": NOW, "granted_seq": 4,
}  # fmt: skip


def _url(sha256: str) -> dict[str, Any]:
    return {
        "licence_id": 1, "order_id": 2, "download_id": 3, "url": "http://x/downloads/t",
        "path": "/downloads/t", "expires_at": NOW, "mode": "download", "sha256": sha256,
        "size_bytes": len(DATA), "chunk_root": None, "served_seq": 9, "downloads": 1,
        "max_downloads": None, "media_type": "text/csv", "file_name": "a.csv",
    }  # fmt: skip


def _entry(sha256: str, download_id: int = 3) -> dict[str, Any]:
    entry = {
        "seq": 9, "kind": "delivery.served", "subject": "order:2", "actor": "0x" + "11" * 20,
        "payload": {"sha256": sha256, "licence_id": 1, "download_id": download_id},
        "signature": None, "recorded_at": NOW,
        "prev_hash": "00", "entry_hash": "11",
    }  # fmt: skip
    return {"items": [entry], "limit": 1, "after_seq": 8, "next_after_seq": None}


class _Breaking(httpx.SyncByteStream):
    def __init__(self, data: bytes) -> None:
        self._data = data

    def __iter__(self) -> Iterator[bytes]:
        yield self._data
        raise httpx.ReadError("connection reset")


def _exchange(
    recorded: str,
    ranges: list[str | None],
    breaks: int,
    declared: str | None = None,
    served_download_id: int = 3,
    *,
    whole_again: bool = False,
) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/licences/1":
            return httpx.Response(200, json={**LICENCE, "delivery_mode": "download"})
        if path == "/licences/1/download-url":
            return httpx.Response(201, json=_url(declared or recorded))
        if path == "/ledger/entries":
            return httpx.Response(200, json=_entry(recorded, served_download_id))
        assert path == "/downloads/t"
        header = request.headers.get("range")
        ranges.append(header)
        if header is not None:
            assert request.headers["if-range"] == f'"{declared or recorded}"'
        start = int(header.removeprefix("bytes=").removesuffix("-")) if header else 0
        if whole_again and header is not None:  # a server that ignores the range
            start, header = 0, None
        status = 206 if header else 200
        if len(ranges) <= breaks:  # break off after a thousand bytes
            return httpx.Response(status, stream=_Breaking(DATA[start : start + 1000]))
        return httpx.Response(status, content=DATA[start:])

    return httpx.MockTransport(handle)


def test_a_broken_download_resumes_and_yields_identical_bytes(tmp_path: Path) -> None:
    ranges: list[str | None] = []
    transport = _exchange(hashlib.sha256(DATA).hexdigest(), ranges, breaks=2)
    with Databourse("http://x", token="t", transport=transport) as bourse:
        got = bourse.delivery.download(1, tmp_path / "out.bin")
    assert (tmp_path / "out.bin").read_bytes() == DATA
    assert got.sha256 == hashlib.sha256(DATA).hexdigest()
    assert ranges == [None, "bytes=1000-", "bytes=2000-"]


def test_a_resumed_range_answered_with_the_whole_file_starts_the_file_again(
    tmp_path: Path,
) -> None:
    """A server (or a proxy) that answers a resumed range with the whole file (200) is not
    appended to what was written: the file starts again and ends identical."""
    ranges: list[str | None] = []
    transport = _exchange(hashlib.sha256(DATA).hexdigest(), ranges, breaks=1, whole_again=True)
    with Databourse("http://x", token="t", transport=transport) as bourse:
        got = bourse.delivery.download(1, tmp_path / "out.bin")
    assert (tmp_path / "out.bin").read_bytes() == DATA
    assert got.sha256 == hashlib.sha256(DATA).hexdigest()
    assert ranges == [None, "bytes=1000-"]


@pytest.mark.parametrize(
    ("declared", "code"), [(None, "content_mismatch"), ("11" * 32, "proof_mismatch")]
)
def test_bytes_that_differ_from_the_recorded_hash_write_nothing(
    tmp_path: Path, declared: str | None, code: str
) -> None:
    transport = _exchange("00" * 32, [], breaks=0, declared=declared)
    with (
        Databourse("http://x", token="t", transport=transport) as bourse,
        pytest.raises(DatabourseClientError) as raised,
    ):
        bourse.delivery.download(1, tmp_path / "out.bin")
    assert raised.value.code == code
    assert list(tmp_path.iterdir()) == []


def test_a_download_that_keeps_breaking_ends_with_a_clear_error(tmp_path: Path) -> None:
    transport = _exchange(hashlib.sha256(DATA).hexdigest(), [], breaks=100)
    with (
        Databourse("http://x", token="t", transport=transport) as bourse,
        pytest.raises(DatabourseClientError) as raised,
    ):
        bourse.delivery.download(1, tmp_path / "out.bin")
    assert raised.value.code == "unreachable"
    assert list(tmp_path.iterdir()) == []


def test_a_key_wrapped_download_without_a_key_names_both_ways_to_pass_one(
    tmp_path: Path,
) -> None:
    """Refused before a URL is asked for: each URL counts one of the licence's downloads."""

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/licences/1", f"{request.url.path}: no URL may be asked for"
        return httpx.Response(200, json=LICENCE)

    with (
        Databourse("http://x", token="t", transport=httpx.MockTransport(handle)) as bourse,
        pytest.raises(DatabourseClientError) as raised,
    ):
        bourse.delivery.download(1, tmp_path / "out.bin")
    assert raised.value.code == "key_required"
    assert "private_key=" in raised.value.message
    assert "--key FILE with bourse download" in raised.value.message
    assert "no download was counted" in raised.value.message
    assert list(tmp_path.iterdir()) == []


def test_an_entry_of_another_download_is_no_proof_of_this_one(tmp_path: Path) -> None:
    """The seq the URL names must hold this URL's delivery.served (its licence and download),
    not any entry that happens to record the same hash."""
    transport = _exchange(hashlib.sha256(DATA).hexdigest(), [], breaks=0, served_download_id=4)
    with (
        Databourse("http://x", token="t", transport=transport) as bourse,
        pytest.raises(DatabourseClientError) as refused,
    ):
        bourse.delivery.download(1, tmp_path / "out.bin")
    assert refused.value.code == "proof_mismatch"
    assert not (tmp_path / "out.bin").exists()
