"""A 200 MB CSV uploads through a real server in bounded memory, is stored as ciphertext, and
downloads as identical bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.blobs.envelope import ciphertext_size
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import create, operator, party, verify
from tests.marketplace.identity.helpers import CHAIN_ID, serve

SIZE_BYTES = 200 * 1024 * 1024
MEMORY_BYTES_MAX = 100 * 1024 * 1024
PIECE_ROWS = 600


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


class Generated:
    """A CSV of at least SIZE_BYTES, whole rows, made on the fly; remembers its hash and size."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        row = 0
        piece = b"id,sensor,reading,note\n"
        while True:
            self.sha256.update(piece)
            self.sent += len(piece)
            yield piece
            if self.sent >= SIZE_BYTES:
                return
            lines = []
            for _ in range(PIECE_ROWS):
                lines.append(b"%d,sensor-%d,%d.%d,row-marker\n" % (row, row % 97, row, row % 10))
                row += 1
            piece = b"".join(lines)


@pytest.mark.slow
def test_a_200_mb_csv_streams_in_bounded_memory_and_round_trips(
    engine: Engine, tmp_path: Path
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("one database is enough for the memory bound; the logic runs on both")
    blob_dir = tmp_path / "blobs"
    # The upload's own memory is measured: its quality evaluation (which decrypts the revision
    # into memory by design) would otherwise start right after the response, racing the reading.
    settings = settings_for(engine, blob_url=f"file://{blob_dir}", quality_evaluate_on_upload=False)
    runtime = Runtime(settings=settings, engine=engine)
    runtime.chain_id = CHAIN_ID
    app = create_app(runtime=runtime)
    with TestClient(app, raise_server_exceptions=False) as api:
        ops = operator(api, runtime)
        who = party(api, "big@supplier.test", "Big Data", ["supplier"])
        verify(api, ops, who)
        asset_id = create(api, who)["id"]
    data = Generated()
    with serve(app) as base, httpx.Client(base_url=base, timeout=300) as http:
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS
        baseline_kib = _rss_kib("VmRSS")
        r = http.put(
            f"/upload/assets/{asset_id}/revisions",
            params={"format": "csv"},
            content=iter(data),
            headers=who.headers,
        )
        assert r.status_code == 201, r.text
        peak_kib = _rss_kib("VmHWM")
        revision = r.json()
        assert data.sent >= SIZE_BYTES
        assert revision["size_bytes"] == data.sent
        assert revision["sha256"] == data.sha256.hexdigest()
        assert [f["type"] for f in revision["table_schema"]["fields"]] == [
            "integer", "string", "number", "string",
        ]  # fmt: skip
        assert (peak_kib - baseline_kib) * 1024 < MEMORY_BYTES_MAX, (peak_kib, baseline_kib)

        (stored,) = [p for p in blob_dir.rglob("*") if p.is_file()]
        assert stored.stat().st_size == ciphertext_size(data.sent)
        with stored.open("rb") as f:
            while block := f.read(4 * 1024 * 1024):
                assert b"row-marker" not in block

        downloaded = hashlib.sha256()
        size = 0
        with http.stream(
            "GET", f"/assets/{asset_id}/revisions/1/content", headers=who.headers
        ) as got:
            assert got.status_code == 200
            for block in got.iter_bytes():
                downloaded.update(block)
                size += len(block)
        assert size == data.sent
        assert downloaded.hexdigest() == data.sha256.hexdigest()
