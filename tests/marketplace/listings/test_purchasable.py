"""The check orders make at purchase time: a listing is bought only while it is active, its
asset listed by the organisation that signed it, and for a purpose its terms permit; otherwise
the refusal names the reason."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace.errors import DatabourseError
from marketplace.listings import service
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.listings.helpers import approved, create_listing


def _refusal(runtime: Runtime, listing_id: int, purpose: str) -> DatabourseError:
    with Session(runtime.engine) as session, pytest.raises(DatabourseError) as raised:
        service.purchasable(session, listing_id, purpose)
    return raised.value


def test_a_permitted_purpose_on_an_active_listing_may_buy(
    api: TestClient, asset_runtime: Runtime, ops: Party, supplier: Party
) -> None:
    listing = create_listing(api, supplier, approved(api, supplier, ops))
    with Session(asset_runtime.engine) as session:
        shown = service.purchasable(session, listing["id"], "research")
    assert (shown.id, shown.available) == (listing["id"], True)


def test_a_purpose_the_terms_do_not_permit_is_refused_with_the_reason(
    api: TestClient, asset_runtime: Runtime, ops: Party, supplier: Party
) -> None:
    listing = create_listing(api, supplier, approved(api, supplier, ops))

    refused = _refusal(asset_runtime, listing["id"], "commercial")

    assert (refused.status, refused.code) == (403, "purpose_not_permitted")
    assert refused.message == (
        "this licence does not permit commercial use (commercial); it permits only: research, "
        "internal analytics"
    )
    unknown = _refusal(asset_runtime, listing["id"], "resale")
    assert (unknown.status, unknown.code) == (422, "invalid_terms")


def test_a_paused_or_withdrawn_listing_cannot_be_bought(
    api: TestClient, asset_runtime: Runtime, ops: Party, supplier: Party
) -> None:
    listing = create_listing(api, supplier, approved(api, supplier, ops))
    assert api.post(f"/listings/{listing['id']}/pause", headers=supplier.headers).is_success

    refused = _refusal(asset_runtime, listing["id"], "research")

    assert (refused.status, refused.code) == (409, "not_purchasable")
    assert refused.message == f"listing {listing['id']} is paused; it cannot be bought now"
    missing = _refusal(asset_runtime, 999_999, "research")
    assert missing.status == 404


def test_a_suspended_or_delisted_asset_cannot_be_bought(
    api: TestClient, asset_runtime: Runtime, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    listing = create_listing(api, supplier, asset_id)
    r = api.post(
        f"/assets/{asset_id}/suspend", json={"reason": "court order 17"}, headers=ops.headers
    )
    assert r.status_code == 200, r.text

    suspended = _refusal(asset_runtime, listing["id"], "research")
    assert suspended.message == f"asset {asset_id} is suspended by the exchange: court order 17"
    assert api.get(f"/listings/{listing['id']}").json()["under_objection"] is True

    r = api.post(f"/assets/{asset_id}/reinstate", json={"reason": "lifted"}, headers=ops.headers)
    assert r.status_code == 200, r.text
    assert api.post(f"/assets/{asset_id}/delist", headers=supplier.headers).is_success
    delisted = _refusal(asset_runtime, listing["id"], "research")
    assert delisted.message == f"asset {asset_id} is delisted; it cannot be bought now"


def test_a_transferred_assets_old_listings_are_not_the_new_owners_offer(
    api: TestClient, asset_runtime: Runtime, ops: Party, supplier: Party, rival: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    listing = create_listing(api, supplier, asset_id)
    r = api.post(
        f"/assets/{asset_id}/transfer",
        json={"to_organization_id": rival.organization_id},
        headers=supplier.headers,
    )
    assert r.status_code == 200, r.text
    assert api.post(f"/assets/{asset_id}/list", headers=rival.headers).is_success

    refused = _refusal(asset_runtime, listing["id"], "research")

    assert refused.code == "not_purchasable"
    assert "changed hands" in refused.message
    assert api.get(f"/assets/{asset_id}").json()["listings"] == []
