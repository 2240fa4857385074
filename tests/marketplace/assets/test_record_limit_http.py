"""The documented CSV record limit (16 MiB, docs/assets.md) is the one that holds: a field far
over the csv module's default 128 KiB is accepted, a record over 16 MiB is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace import limits
from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import Party, create, operator, party, upload, verify
from tests.marketplace.identity.helpers import CHAIN_ID


@pytest.fixture
def roomy(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, Party]]:
    """An app whose upload limit leaves room for records near the record limit."""
    settings = settings_for(
        engine, blob_url=f"file://{tmp_path / 'blobs'}", upload_bytes_max=32 * 1024 * 1024
    )
    runtime = Runtime(settings=settings, engine=engine)
    runtime.chain_id = CHAIN_ID
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as api:
        ops = operator(api, runtime)
        supplier = party(api, "wide@supplier.test", "Wide Data", ["supplier"])
        verify(api, ops, supplier)
        yield api, supplier


def test_a_csv_field_of_one_mib_is_accepted_and_evaluated(
    roomy: tuple[TestClient, Party],
) -> None:
    api, supplier = roomy
    asset_id = int(create(api, supplier)["id"])
    data = b'id,text\n1,"' + b"x" * (1024 * 1024) + b'"\n2,short\n'

    r = upload(api, supplier, asset_id, data)

    assert r.status_code == 201, r.text
    assert [f["type"] for f in r.json()["table_schema"]["fields"]] == ["integer", "string"]
    got = api.get(f"/assets/{asset_id}/quality", headers=supplier.headers).json()
    assert got["report"]["rows"] == 2


def test_a_csv_record_over_the_record_limit_is_refused(roomy: tuple[TestClient, Party]) -> None:
    api, supplier = roomy
    asset_id = int(create(api, supplier)["id"])
    data = b'id,text\n1,"' + b"x" * (limits.csv_record_bytes_max + 1024) + b'"\n'

    r = upload(api, supplier, asset_id, data)

    assert r.status_code == 422
    assert f"longer than {limits.csv_record_bytes_max} bytes" in r.json()["message"]
