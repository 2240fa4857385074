"""A suspended supplier's listings, as every listing view shows them: not available, because the
supplier is suspended (``unavailable_reason: supplier_suspended``), never the suspension's
reason; available again once the supplier is reinstated. A page of listings reads the
suspensions once, whatever the number of suppliers on it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.listings.helpers import approved, create_listing
from tests.marketplace.orders.test_purchase_statements_http import counted

REASON = "card payments reported stolen by two banks"


def _suspend(api: TestClient, ops: Party, who: Party) -> None:
    r = api.post(
        f"/organizations/{who.organization_id}/suspend",
        json={"reason": REASON},
        headers=ops.headers,
    )
    assert r.status_code == 200, r.text


def _reinstate(api: TestClient, ops: Party, who: Party) -> None:
    r = api.post(f"/organizations/{who.organization_id}/reinstate", headers=ops.headers)
    assert r.status_code == 200, r.text


def _views(api: TestClient, listing: dict[str, Any]) -> list[dict[str, Any]]:
    """The listing as GET /listings/{id}, GET /assets/{id} and the catalog search show it."""
    one = api.get(f"/listings/{listing['id']}")
    asset = api.get(f"/assets/{listing['asset_id']}")
    found = api.get("/listings")
    for r in (one, asset, found):
        assert r.status_code == 200, r.text
        assert REASON not in r.text  # the reason is the journal's, not the buyer's
    (in_asset,) = [x for x in asset.json()["listings"] if x["id"] == listing["id"]]
    (in_search,) = [x for x in found.json()["items"] if x["id"] == listing["id"]]
    return [one.json(), in_asset, in_search]


def _availability(view: dict[str, Any]) -> tuple[bool, str | None]:
    return view["available"], view["unavailable_reason"]


def test_a_suspended_suppliers_listing_shows_not_available_until_reinstated(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    listing = create_listing(api, supplier, approved(api, supplier, ops))
    other = create_listing(api, rival, approved(api, rival, ops))
    assert [_availability(v) for v in _views(api, listing)] == [(True, None)] * 3

    _suspend(api, ops, supplier)
    assert [_availability(v) for v in _views(api, listing)] == [(False, "supplier_suspended")] * 3
    assert [_availability(v) for v in _views(api, other)] == [(True, None)] * 3
    assert api.get(f"/listings/{listing['id']}").json()["status"] == "active"

    _reinstate(api, ops, supplier)
    assert [_availability(v) for v in _views(api, listing)] == [(True, None)] * 3


def test_a_listing_not_available_for_its_own_reasons_names_them(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    listing = create_listing(api, supplier, approved(api, supplier, ops))
    r = api.post(f"/listings/{listing['id']}/pause", headers=supplier.headers)
    assert r.status_code == 200, r.text
    assert _availability(r.json()) == (False, "listing_paused")
    _suspend(api, ops, supplier)  # the listing's own state comes first
    assert _availability(api.get(f"/listings/{listing['id']}").json()) == (
        False,
        "listing_paused",
    )


def test_the_catalog_search_reads_suspensions_once_per_page(
    api: TestClient, asset_runtime: Runtime, supplier: Party, rival: Party, ops: Party
) -> None:
    for who in (supplier, supplier, rival, rival):
        create_listing(api, who, approved(api, who, ops))
    _suspend(api, ops, rival)
    with counted(asset_runtime.engine) as statements:
        r = api.get("/listings")
    assert r.status_code == 200, r.text
    shown = {(x["supplier_organization_id"], x["unavailable_reason"]) for x in r.json()["items"]}
    assert shown == {
        (supplier.organization_id, None),
        (rival.organization_id, "supplier_suspended"),
    }
    assert len(r.json()["items"]) == 4
    reads = [s for s, _ in statements if "organization_suspension" in s]
    assert len(reads) == 1, reads
