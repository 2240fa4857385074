"""Reading listings for other domains: many at once in the order asked (search results), and the
active comparables of an asset (prices, valuations): other assets' available priced listings, of
the same theme when the asset has one."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace.listings import service
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.listings.helpers import approved, create_listing, terms


def test_many_listings_come_in_the_order_asked_and_unknown_ids_are_skipped(
    api: TestClient, asset_runtime: Runtime, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    first = create_listing(api, supplier, asset_id)
    second = create_listing(api, supplier, asset_id, terms=terms(purposes=["commercial"]))

    with Session(asset_runtime.engine) as session:
        shown = service.public_many(session, [second["id"], 424242, first["id"]])

    assert [item.id for item in shown] == [second["id"], first["id"]]
    assert shown[0].terms_plain[0] == "Permitted for: commercial use."


def test_comparables_are_other_assets_available_priced_listings_of_the_theme(
    api: TestClient, asset_runtime: Runtime, ops: Party, supplier: Party, rival: Party
) -> None:
    subject = approved(api, supplier, ops)
    create_listing(api, supplier, subject)
    same = create_listing(api, rival, approved(api, rival, ops))
    create_listing(  # negotiable: no price to compare
        api, rival, approved(api, rival, ops), price_model={"kind": "negotiable"}
    )
    paused = create_listing(api, rival, approved(api, rival, ops))
    assert api.post(f"/listings/{paused['id']}/pause", headers=rival.headers).is_success
    create_listing(api, rival, approved(api, rival, ops, theme="health"))

    with Session(asset_runtime.engine) as session:
        found = service.active_comparables(session, subject, 10)
        none = service.active_comparables(session, subject, 0)

    assert [item.id for item in found] == [same["id"]]
    assert none == []
