"""A listed asset with a fixed-price listing, a verified supplier and a verified buyer, built
through the API, for the buyer's page tests."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party, operator, party, registered_listed, verify
from tests.marketplace.listings.helpers import FIXED, create_listing

BUYER_EMAIL = "bea@buyer.test"
PRICE_MINOR = int(FIXED["amount_minor"])  # 1,250.00


@dataclass
class Market:
    supplier: Party
    buyer: Party
    operator: Party
    asset_id: int
    listing_id: int


def market(api: TestClient, runtime: Runtime) -> Market:
    ops = operator(api, runtime)
    supplier = party(api, "alice@supplier.test", "Alice Data", ["supplier"])
    verify(api, ops, supplier)
    buyer = party(api, BUYER_EMAIL, "Bea Buying", ["buyer"])
    verify(api, ops, buyer)
    asset_id = registered_listed(api, supplier, ops)
    listing = create_listing(api, supplier, asset_id)
    return Market(supplier, buyer, ops, asset_id, int(listing["id"]))
