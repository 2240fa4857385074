"""Where a buyer looks, it sees what an asset costs and allows first: ``GET /assets/{id}``, the
asset page and the catalog page show every active listing's price and terms in plain words, and
an asset under objection flags its listings."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import Party
from tests.marketplace.assets.test_objections_http import file as file_objection
from tests.marketplace.listings.helpers import approved, create_listing, terms

SUBSCRIPTION = {"kind": "subscription", "amount_minor": 9900, "period": "month"}


def test_get_asset_shows_each_active_listing_in_plain_words(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    research = create_listing(api, supplier, asset_id)
    commercial = create_listing(
        api, supplier, asset_id, terms=terms(purposes=["commercial"]), price_model=SUBSCRIPTION
    )
    paused = create_listing(api, supplier, asset_id, terms=terms(purposes=["journalism"]))
    assert api.post(f"/listings/{paused['id']}/pause", headers=supplier.headers).is_success

    shown = api.get(f"/assets/{asset_id}").json()  # no login

    assert [item["id"] for item in shown["listings"]] == [research["id"], commercial["id"]]
    assert [item["price_plain"] for item in shown["listings"]] == [
        "1,250.00 CNY, paid once",
        "99.00 CNY per month; does not renew automatically",
    ]
    assert shown["listings"][1]["terms_plain"][0] == "Permitted for: commercial use."
    assert shown["title"] == "Fruit prices"


def test_a_subscription_listing_does_not_promise_a_dispute(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    one_off = create_listing(api, supplier, asset_id)
    monthly = create_listing(api, supplier, asset_id, price_model=SUBSCRIPTION)

    shown = {item["id"]: item for item in api.get(f"/assets/{asset_id}").json()["listings"]}
    page = api.get(f"/catalog/{asset_id}").text

    assert shown[one_off["id"]]["terms_plain"][-1].startswith("You have 72 h after delivery")
    assert shown[monthly["id"]]["terms_plain"][-1] == (
        "Each period is paid to the supplier when it ends; each period may be disputed on its "
        "own, while it runs or within the dispute window after it is paid."
    )
    assert page.count("to accept or dispute it") == 1
    # The window is counted from settlement, as the exchange enforces it.
    assert "disputes may be raised within 168 h after it is settled." in page
    assert shown[one_off["id"]]["terms_plain"][-1].endswith("within 168 h after it is settled.")
    assert page.count("each period may be disputed on its own") == 1


def test_an_unlisted_asset_has_no_listings_to_show(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    assert api.get(f"/assets/{asset_id}", headers=supplier.headers).json()["listings"] == []
    assert api.get(f"/assets/{asset_id}").status_code == 404


def test_the_asset_page_shows_price_and_terms_before_the_metadata(
    api: TestClient, ops: Party, supplier: Party, rival: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    listing = create_listing(api, supplier, asset_id)

    page = api.get(f"/catalog/{asset_id}").text

    assert page.index("Price and terms") < page.index("Metadata (DCAT 3)")
    assert "CN¥1,250.00, paid once" in page  # in the reader's language (English here)
    assert "Permitted for: research, internal analytics." in page
    assert "You may not redistribute the data." in page
    assert f'href="/listings/{listing["id"]}/odrl"' in page
    assert "under objection" not in page.split("Metadata (DCAT 3)")[0]

    assert file_objection(api, rival, asset_id).status_code == 201
    flagged = api.get(f"/catalog/{asset_id}").text
    offers = flagged.split("Price and terms")[1].split("Metadata (DCAT 3)")[0]
    assert "under objection" in offers


def test_the_catalog_shows_each_assets_prices_first(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    create_listing(api, supplier, asset_id, price_model=SUBSCRIPTION)
    create_listing(api, supplier, asset_id, terms=terms(purposes=["commercial"]))

    page = api.get("/catalog", params={"sort": "price_asc"}).text

    assert page.index("Price and terms") < page.index(">Title</th>")
    rows = page.split("<tbody>")[1].split("<tr")[1:]
    assert "CN¥99.00 per month" in rows[0]  # cheapest first, each offer its own row
    assert "CN¥1,250.00, paid once" in rows[1]
    assert "for commercial use" in rows[1]
