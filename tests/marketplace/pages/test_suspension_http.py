"""Suspension on the pages over HTTP: a suspended supplier's offers show on the catalog and the
asset page as not available, without a Buy button and without the suspension's reason."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.marketplace.pages.conftest import World

REASON = "chargebacks on stolen cards"
FLAG = "not available: supplier suspended"


def test_a_suspended_suppliers_offers_show_not_available_on_the_catalog(
    api: TestClient, world: World
) -> None:
    assert FLAG not in api.get("/catalog").text
    assert 'class="btn btn-primary buy"' in api.get(f"/catalog/{world.fruit_id}").text
    r = api.post(
        f"/organizations/{world.supplier.organization_id}/suspend",
        json={"reason": REASON},
        headers=world.operator.headers,
    )
    assert r.status_code == 200, r.text

    catalog = api.get("/catalog").text
    asset = api.get(f"/catalog/{world.fruit_id}").text
    assert FLAG in catalog
    assert FLAG in asset
    assert "It can be bought again once they reinstate the supplier." in asset
    assert 'class="btn btn-primary buy"' not in asset
    assert REASON not in catalog + asset
