"""Found by the API fuzzer (tests/e2e/test_api_fuzz.py): a NUL character in text was a 500 on
PostgreSQL (and stored on SQLite), and ids past 64 bits must be refused before any query."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.marketplace.assets.helpers import Party, create, metadata, registered_listed
from tests.marketplace.identity.helpers import row_counts

TOO_BIG = ["9223372036854775808", "99999999999999999999", "-9223372036854775809"]


def _refused(r: object, status: int = 422) -> None:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    assert set(r.json()) == {"error", "message"}  # type: ignore[attr-defined]


def test_a_nul_character_in_new_metadata_is_422_and_writes_nothing(
    api: TestClient, supplier: Party, engine: Engine
) -> None:
    before = row_counts(engine)
    r = api.post("/assets", json=metadata(title="fruit\u0000prices"), headers=supplier.headers)
    _refused(r)
    assert "NUL" in r.json()["message"]
    assert row_counts(engine) == before


def test_a_nul_character_in_a_metadata_change_is_422_and_changes_nothing(
    api: TestClient, supplier: Party, engine: Engine
) -> None:
    asset_id = create(api, supplier)["id"]
    before = row_counts(engine)
    r = api.patch(f"/assets/{asset_id}", json={"description": "a\u0000b"}, headers=supplier.headers)
    _refused(r)
    assert row_counts(engine) == before
    assert (
        api.get(f"/assets/{asset_id}", headers=supplier.headers).json()["description"]
        == (metadata()["description"])
    )


def test_an_escaped_backslash_before_u0000_is_ordinary_text(
    api: TestClient, supplier: Party
) -> None:
    r = api.post("/assets", json=metadata(title="C:\\u0000 is a path"), headers=supplier.headers)
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "C:\\u0000 is a path"


@pytest.mark.parametrize("param", ["q", "theme"])
def test_a_nul_character_in_a_search_is_422(api: TestClient, param: str) -> None:
    _refused(api.get("/assets", params={param: "fruit\x00"}))


@pytest.mark.parametrize("raw", TOO_BIG)
def test_asset_ids_past_64_bits_are_422(api: TestClient, supplier: Party, raw: str) -> None:
    _refused(api.get(f"/assets/{raw}"))
    _refused(api.get(f"/assets/{raw}/revisions/1", headers=supplier.headers))
    _refused(api.get("/assets/1/revisions/" + raw, headers=supplier.headers))
    _refused(api.get("/assets", params={"owner": raw}))
    _refused(api.get("/assets", params={"offset": raw}))


def test_the_largest_64_bit_asset_id_is_a_plain_404(api: TestClient) -> None:
    _refused(api.get(f"/assets/{2**63 - 1}"), status=404)


@pytest.mark.parametrize("to", [2**63, 10**20, 0, -1])
def test_a_transfer_to_an_impossible_organisation_is_422_and_changes_nothing(
    api: TestClient, supplier: Party, ops: Party, engine: Engine, to: int
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    before = row_counts(engine)
    r = api.post(
        f"/assets/{asset_id}/transfer", json={"to_organization_id": to}, headers=supplier.headers
    )
    _refused(r)
    assert row_counts(engine) == before
    assert api.get(f"/assets/{asset_id}").json()["owner_organization_id"] == (
        supplier.organization_id
    )


def test_a_nul_character_in_a_cancellation_reason_is_422_and_changes_nothing(
    api: TestClient, supplier: Party, ops: Party, engine: Engine
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    before = row_counts(engine)
    r = api.post(f"/assets/{asset_id}/cancel", json={"reason": "\u0000"}, headers=supplier.headers)
    _refused(r)
    assert row_counts(engine) == before
    assert api.get(f"/assets/{asset_id}").json()["status"] == "listed"
