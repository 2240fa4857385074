"""Found by the API fuzzer: NUL characters and 64-bit overflows in ledger queries, and naive
timestamps from SQLite (not RFC 3339 date-times)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import signup

TOO_BIG = ["9223372036854775808", "99999999999999999999"]


@pytest.fixture
def api(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("param", ["kind", "subject"])
def test_a_nul_character_in_an_entry_filter_is_422(api: TestClient, param: str) -> None:
    r = api.get("/ledger/entries", params={param: "account.created\x00"})
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"error", "message"}


@pytest.mark.parametrize("raw", TOO_BIG)
def test_positions_past_64_bits_are_422(api: TestClient, raw: str) -> None:
    for path, params in [
        (f"/ledger/entries/{raw}/receipt", {}),
        ("/ledger/entries", {"after_seq": raw}),
        ("/ledger/batches", {"after_id": raw}),
    ]:
        r = api.get(path, params=params)
        assert r.status_code == 422, (path, r.text)
        assert set(r.json()) == {"error", "message"}


def test_the_largest_64_bit_seq_is_a_plain_404(api: TestClient) -> None:
    r = api.get(f"/ledger/entries/{2**63 - 1}/receipt")
    assert r.status_code == 404, r.text


def test_entry_times_carry_their_utc_offset(api: TestClient) -> None:
    signup(api, "tz@example.test", "Tz Org", ["buyer"])
    items = api.get("/ledger/entries").json()["items"]
    assert items
    for item in items:
        assert datetime.fromisoformat(item["recorded_at"]).utcoffset() is not None
