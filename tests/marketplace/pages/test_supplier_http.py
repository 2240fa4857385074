"""The supplier's pages over HTTP, on both databases: my assets, registering an asset, the upload
route of the pages, editing metadata and schema, submitting, a rejection's reasons, listings
with the price suggestion, and sales. Refused forms answer 4xx with the API's message and leave
nothing written; another organisation's asset is a 403/404 page."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import (
    CSV,
    Party,
    create,
    operator,
    party,
    registered_listed,
    review,
    upload,
    verify,
)
from tests.marketplace.identity.helpers import row_counts
from tests.marketplace.pages.test_sessions import csrf_of, sign_in

SUPPLIER = "sam@supplier.test"
OTHER = "olga@other.test"


@dataclass
class Suppliers:
    sam: Party
    olga: Party
    ops: Party


@pytest.fixture
def suppliers(api: TestClient, page_runtime: Runtime) -> Suppliers:
    ops = operator(api, page_runtime)
    sam = party(api, SUPPLIER, "Sam Supplies", ["supplier"])
    olga = party(api, OTHER, "Olga Other", ["supplier"])
    verify(api, ops, sam)
    verify(api, ops, olga)
    return Suppliers(sam, olga, ops)


@pytest.fixture
def web(api: TestClient, suppliers: Suppliers) -> Iterator[TestClient]:
    """A browser-like client signed in as Sam (cookies), on the same app."""
    with TestClient(api.app, raise_server_exceptions=False) as client:
        yield sign_in(client, SUPPLIER)


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def asset_form(**overrides: str) -> dict[str, str]:
    form = {
        "title": "Tea harvests",
        "description": "Yields per garden and week",
        "keywords": "tea, harvest\uff0c茶",  # a Chinese comma separates too
        "theme": "agriculture",
        "license": "CC-BY-4.0",
        "temporal_start": "2024-01-01",
        "temporal_end": "2024-12-31",
        "spatial": "Hangzhou",
        "accrual_periodicity": "weekly",
        "languages": "zh, en",
        "classification": "general",
        "source_type": "collected",
        "authority_proof": "our own gardens' ledgers",
    }
    form.update(overrides)
    return form


def post(client: TestClient, get_path: str, post_path: str, data: dict[str, Any]) -> Any:
    token = csrf_of(client.get(get_path).text)
    return client.post(post_path, data={**data, "csrf_token": token}, follow_redirects=False)


def test_registering_an_asset_from_the_form_creates_the_draft_the_api_shows(
    web: TestClient, api: TestClient, suppliers: Suppliers
) -> None:
    r = post(web, "/supplier/assets/new", "/supplier/assets/new", asset_form())

    assert r.status_code == 303, r.text
    asset_id = int(r.headers["location"].rsplit("/", 1)[1])
    shown = api.get(f"/assets/{asset_id}", headers=suppliers.sam.headers).json()
    assert shown["title"] == "Tea harvests"
    assert shown["keywords"] == ["tea", "harvest", "茶"]
    assert shown["languages"] == ["zh", "en"]
    assert shown["status"] == "draft"
    assert shown["publisher"] == "Sam Supplies"
    page = web.get(f"/supplier/assets/{asset_id}")
    assert page.status_code == 200
    assert "Tea harvests" in page.text
    assert 'data-upload="/upload/supplier/assets/' in page.text
    listed = text_of(web.get("/supplier/assets").text)
    assert "Tea harvests" in listed
    assert "draft" in listed


ASSET_REFUSALS = [
    ({"title": ""}, "title", "at least 1 character"),
    ({"license": "WTFPL"}, "license", "unknown licence"),
    ({"personal_information": "on"}, "", "needs a lawful_basis"),
    ({"temporal_start": "2025-01-01"}, "", "temporal_start must not be after"),
]


def test_a_refused_asset_form_shows_the_api_message_and_writes_nothing(
    web: TestClient, engine: Engine
) -> None:
    before = row_counts(engine)
    for overrides, field, message in ASSET_REFUSALS:
        r = post(web, "/supplier/assets/new", "/supplier/assets/new", asset_form(**overrides))

        assert r.status_code == 400, overrides
        if field:
            error = re.search(rf'<p class="field-error" id="e-{field}">([^<]*)</p>', r.text)
            assert error is not None, overrides
            assert message in unescape(error.group(1))
        else:
            assert message in text_of(r.text)
        assert 'value="Hangzhou"' in r.text  # the values stay
    assert row_counts(engine) == before


def test_the_page_upload_streams_to_the_api_upload_with_the_csrf_header_only(
    web: TestClient, api: TestClient, suppliers: Suppliers, engine: Engine
) -> None:
    asset_id = int(create(api, suppliers.sam)["id"])
    token = csrf_of(web.get(f"/supplier/assets/{asset_id}").text)
    url = f"/upload/supplier/assets/{asset_id}/revisions?format=csv"

    before = row_counts(engine)
    no_header = web.put(url, content=CSV)
    wrong = web.put(url, content=CSV, headers={"X-CSRF-Token": "nope"})
    as_form = web.put(
        url,
        files={"file": ("a.csv", CSV, "text/csv")},
        data={"csrf_token": token},
    )
    assert (no_header.status_code, wrong.status_code, as_form.status_code) == (400, 403, 400)
    assert row_counts(engine) == before

    r = web.put(url, content=CSV, headers={"X-CSRF-Token": token})

    assert r.status_code == 201, r.text
    assert r.json() == {"number": 1, "location": f"/supplier/assets/{asset_id}"}
    revision = api.get(f"/assets/{asset_id}/revisions/1", headers=suppliers.sam.headers).json()
    assert revision["size_bytes"] == len(CSV)
    assert [f["name"] for f in revision["table_schema"]["fields"]] == ["id", "name", "price"]
    page = text_of(web.get(f"/supplier/assets/{asset_id}").text)
    assert "Table schema of revision 1" in page


def test_a_refused_page_upload_answers_the_api_message_as_json(
    web: TestClient, api: TestClient, suppliers: Suppliers
) -> None:
    asset_id = int(create(api, suppliers.sam)["id"])
    token = csrf_of(web.get(f"/supplier/assets/{asset_id}").text)

    r = web.put(
        f"/upload/supplier/assets/{asset_id}/revisions?format=csv",
        content=b"a,b\n1\n",
        headers={"X-CSRF-Token": token},
    )

    assert r.status_code == 422
    assert r.json()["error"] == "invalid_content"
    assert (
        api.get(f"/assets/{asset_id}", headers=suppliers.sam.headers).json()["latest_revision"] == 0
    )


def test_another_organisations_asset_is_refused_on_every_supplier_page(
    web: TestClient, api: TestClient, suppliers: Suppliers, engine: Engine
) -> None:
    draft = int(create(api, suppliers.olga)["id"])
    listed = registered_listed(api, suppliers.olga, suppliers.ops)
    token = csrf_of(web.get("/supplier/assets").text)
    before = row_counts(engine)

    assert web.get(f"/supplier/assets/{draft}").status_code == 404
    assert web.get(f"/supplier/assets/{listed}").status_code == 403
    assert web.get(f"/supplier/assets/{listed}/edit").status_code == 403
    assert web.get(f"/supplier/listings/new?asset_id={listed}").status_code == 403
    refused = [
        web.post(f"/supplier/assets/{listed}/edit", data={**asset_form(), "csrf_token": token}),
        web.post(f"/supplier/assets/{draft}/submit", data={"csrf_token": token}),
        web.put(
            f"/upload/supplier/assets/{listed}/revisions?format=csv",
            content=CSV,
            headers={"X-CSRF-Token": token},
        ),
    ]
    assert [r.status_code for r in refused] == [403, 404, 403]
    assert row_counts(engine) == before
    assert "Olga" not in web.get("/supplier/assets").text


def test_the_supplier_pages_need_a_verified_supplier(api: TestClient) -> None:
    party(api, "una@unverified.test", "Una", ["supplier"])
    with TestClient(api.app, raise_server_exceptions=False) as client:
        assert client.get("/supplier/assets", follow_redirects=False).status_code == 303
        sign_in(client, "una@unverified.test")
        assert client.get("/supplier/assets").status_code == 403


def test_edit_submit_reject_shows_the_reasons_then_resubmit(
    web: TestClient, api: TestClient, suppliers: Suppliers
) -> None:
    asset_id = int(create(api, suppliers.sam)["id"])
    path = f"/supplier/assets/{asset_id}"
    early = post(web, path, f"{path}/submit", {})
    assert early.status_code == 409  # no content yet: the API's message, on the asset's page
    assert "Upload content" in early.text
    assert upload(api, suppliers.sam, asset_id, CSV).status_code == 201

    edited = post(web, f"{path}/edit", f"{path}/edit", asset_form(title="Tea harvests 2024"))
    assert edited.status_code == 303
    submitted = post(web, path, f"{path}/submit", {})
    assert submitted.status_code == 303
    assert api.get(f"/assets/{asset_id}").status_code == 404  # not public yet
    shown = api.get(f"/assets/{asset_id}", headers=suppliers.sam.headers).json()
    assert (shown["title"], shown["status"]) == ("Tea harvests 2024", "under_review")

    r = review(api, suppliers.ops, asset_id, "rejected", "The authority proof names no contract.")
    assert r.status_code == 201, r.text
    page = web.get(path)
    rejection = re.search(r'<p class="message reasons">([^<]*)</p>', page.text)
    assert rejection is not None
    assert rejection.group(1) == "The authority proof names no contract."

    again = post(web, path, f"{path}/submit", {})
    assert again.status_code == 303
    assert (
        api.get(f"/assets/{asset_id}", headers=suppliers.sam.headers).json()["status"]
        == "under_review"
    )


def test_schema_correction_from_the_page(
    web: TestClient, api: TestClient, suppliers: Suppliers, engine: Engine
) -> None:
    asset_id = int(create(api, suppliers.sam)["id"])
    assert upload(api, suppliers.sam, asset_id, CSV).status_code == 201
    path = f"/supplier/assets/{asset_id}"
    schema = api.get(f"/assets/{asset_id}/revisions/1", headers=suppliers.sam.headers).json()[
        "table_schema"
    ]
    before = row_counts(engine)
    bad = post(web, path, f"{path}/revisions/1/schema", {"table_schema": "[1, 2"})
    assert bad.status_code == 400
    assert "not a JSON object" in text_of(bad.text)
    # A form field's brackets come percent-encoded, past the body's nesting check: 300,000 of
    # them overflowed the C stack in the parser once py-evm raised the recursion limit.
    deep = post(web, path, f"{path}/revisions/1/schema", {"table_schema": "[" * 300_000})
    assert deep.status_code == 400
    assert "not a JSON object" in text_of(deep.text)
    assert row_counts(engine) == before

    schema["fields"][0]["description"] = "the row's number"
    r = post(web, path, f"{path}/revisions/1/schema", {"table_schema": json.dumps(schema)})

    assert r.status_code == 303, r.text
    after = api.get(f"/assets/{asset_id}/revisions/1", headers=suppliers.sam.headers).json()
    assert after["schema_corrected"] is True
    assert after["table_schema"]["fields"][0]["description"] == "the row's number"


def approved(api: TestClient, suppliers: Suppliers) -> int:
    asset_id = int(create(api, suppliers.sam)["id"])
    assert upload(api, suppliers.sam, asset_id, CSV).status_code == 201
    assert api.post(f"/assets/{asset_id}/submit", json={}, headers=suppliers.sam.headers).is_success
    assert review(api, suppliers.ops, asset_id, "approved").status_code == 201
    return asset_id


def listing_form(asset_id: int, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "asset_id": str(asset_id),
        "price_kind": "fixed",
        "amount": "120.50",
        "period": "month",
        "unit": "row",
        "purposes": ["research", "commercial"],
        "licence_duration_days": "365",
        "territory": "cn, hk",
        "delivery_mode": "download",
        "acceptance_window_h": "72",
        "dispute_window_h": "168",
    }
    form.update(overrides)
    return form


def test_creating_a_listing_lists_the_asset_and_shows_it_in_my_listings(
    web: TestClient, api: TestClient, suppliers: Suppliers
) -> None:
    asset_id = approved(api, suppliers)
    form_path = f"/supplier/listings/new?asset_id={asset_id}"
    form = web.get(form_path)
    assert form.status_code == 200
    assert "Price suggestion" in form.text
    assert "Create a listing for" in web.get("/supplier/listings").text

    r = post(web, form_path, "/supplier/listings/new", listing_form(asset_id))

    assert r.status_code == 303, r.text
    assert api.get(f"/assets/{asset_id}").json()["status"] == "listed"
    listing = api.get(f"/assets/{asset_id}").json()["listings"][0]
    assert listing["price_model"] == {"kind": "fixed", "amount_minor": 12050}
    assert listing["terms"]["territory"] == ["CN", "HK"]
    assert listing["terms"]["purposes"] == ["research", "commercial"]
    mine = web.get("/supplier/listings")
    assert f'id="listing-{listing["id"]}"' in mine.text
    assert "120.50" in mine.text


LISTING_REFUSALS = [
    ({"amount": "12.505"}, "amount", "positive amount"),
    ({"amount": "-3"}, "amount", "positive amount"),
    ({"purposes": []}, "purposes", "at least 1 item"),
    ({"territory": "XX"}, "territory", "ISO 3166-1"),
    ({"licence_duration_days": "ten"}, "licence_duration_days", "whole number"),
    ({"price_kind": "metered", "amount": "2", "cap": "1"}, "cap", "at least one unit"),
]


def test_a_refused_listing_form_shows_the_message_next_to_the_field_and_writes_nothing(
    web: TestClient, api: TestClient, suppliers: Suppliers, engine: Engine
) -> None:
    asset_id = approved(api, suppliers)
    before = row_counts(engine)
    form_path = f"/supplier/listings/new?asset_id={asset_id}"
    for overrides, field, message in LISTING_REFUSALS:
        r = post(web, form_path, "/supplier/listings/new", listing_form(asset_id, **overrides))

        assert r.status_code == 400, overrides
        error = re.search(rf'<p class="field-error" id="e-{field}">([^<]*)</p>', r.text)
        assert error is not None, overrides
        assert message in unescape(error.group(1))
    assert row_counts(engine) == before
    assert api.get(f"/assets/{asset_id}", headers=suppliers.sam.headers).json()["status"] == (
        "approved"
    )


def test_a_listing_the_service_refuses_rolls_back_and_shows_the_api_message(
    web: TestClient, api: TestClient, suppliers: Suppliers, engine: Engine
) -> None:
    asset_id = approved(api, suppliers)
    form_path = f"/supplier/listings/new?asset_id={asset_id}"
    assert post(web, form_path, "/supplier/listings/new", listing_form(asset_id)).is_redirect
    before = row_counts(engine)

    r = post(web, form_path, "/supplier/listings/new", listing_form(asset_id))  # the same again

    assert r.status_code == 409, r.text
    assert '<div class="alert alert-error" role="alert">' in r.text
    assert row_counts(engine) == before


def test_sales_show_the_orders_placed_for_my_listings_and_link_to_money(
    web: TestClient, api: TestClient, suppliers: Suppliers
) -> None:
    empty = web.get("/supplier/sales")
    assert empty.status_code == 200
    assert 'href="/money"' in empty.text
    assert "No sale yet." in empty.text
    buyer = party(api, "bea@buyer.test", "Bea Buying", ["buyer"])
    verify(api, suppliers.ops, buyer)
    listing_id = listed_with_form(web, api, suppliers)
    order = api.post(
        "/orders",
        json={"listing_id": listing_id, "purpose": "research"},
        headers={**buyer.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert order.status_code == 201, order.text

    row = re.search(
        rf'<tr id="order-{order.json()["id"]}">(.*?)</tr>', web.get("/supplier/sales").text
    )

    assert row is not None
    cells = text_of(row.group(1))
    assert "120.50" in cells
    assert order.json()["status"] in cells


def listed_with_form(web: TestClient, api: TestClient, suppliers: Suppliers, **form: Any) -> int:
    """An approved asset offered through the listing form; the new listing's id."""
    asset_id = approved(api, suppliers)
    path = f"/supplier/listings/new?asset_id={asset_id}"
    r = post(web, path, "/supplier/listings/new", listing_form(asset_id, **form))
    assert r.status_code == 303, r.text
    return int(api.get(f"/assets/{asset_id}").json()["listings"][0]["id"])


def test_a_supplier_answers_an_open_demand_with_a_quote(
    web: TestClient, api: TestClient, suppliers: Suppliers, engine: Engine
) -> None:
    buyer = party(api, "bea@buyer.test", "Bea Buying", ["buyer"])
    verify(api, suppliers.ops, buyer)
    listing_id = listed_with_form(web, api, suppliers)
    deadline = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    demand = api.post(
        "/demands",
        json={
            "title": "Tea yields wanted",
            "purpose": "research",
            "budget_min_minor": 1000,
            "budget_max_minor": 90000,
            "deadline": deadline,
        },
        headers=buyer.headers,
    )
    assert demand.status_code == 201, demand.text
    demand_id = int(demand.json()["id"])
    assert "Tea yields wanted" in web.get("/supplier/demands/all").text
    path = f"/supplier/demands/{demand_id}"
    before = row_counts(engine)
    for form, field in (
        ({"price": "abc", "valid_days": "7"}, "price"),
        ({"price": "50.00", "valid_days": "0"}, "valid_days"),
    ):
        refused = post(web, path, f"{path}/quotes", {"listing_id": str(listing_id), **form})
        assert refused.status_code == 400, form
        assert f'id="e-{field}"' in refused.text
    assert row_counts(engine) == before

    r = post(
        web, path, f"{path}/quotes", {"listing_id": listing_id, "price": "50", "valid_days": 7}
    )

    assert r.status_code == 303, r.text
    seen = api.get(f"/demands/{demand_id}/quotes", headers=buyer.headers).json()["items"]
    assert [(q["listing_id"], q["price_minor"]) for q in seen] == [(listing_id, 5000)]
    assert 'id="quote-' in web.get(path).text


def demand_of(api: TestClient, buyer: Party, title: str, **extra: Any) -> int:
    deadline = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    body = {"title": title, "purpose": "research", "budget_min_minor": 1000,
            "budget_max_minor": 90000, "deadline": deadline, **extra}  # fmt: skip
    r = api.post("/demands", json=body, headers=buyer.headers)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_the_inbox_shows_the_demand_matched_to_the_suppliers_listing_and_not_the_unrelated(
    web: TestClient, api: TestClient, suppliers: Suppliers
) -> None:
    buyer = party(api, "bea@buyer.test", "Bea Buying", ["buyer"])
    verify(api, suppliers.ops, buyer)
    listing_id = listed_with_form(web, api, suppliers)  # "Fruit prices": id, name, price
    fruit = demand_of(api, buyer, "Wholesale fruit prices", fields=[{"name": "price"}])
    tea = demand_of(api, buyer, "Tea yields wanted")

    inbox = web.get("/supplier/demands")

    assert inbox.status_code == 200
    assert f'id="demand-{fruit}"' in inbox.text
    assert f'id="demand-{fruit}-listing-{listing_id}"' in inbox.text
    row = re.search(rf'<tr id="demand-{fruit}">(.*?)</tr>', inbox.text, re.S)
    assert row is not None
    assert "Fruit prices" in text_of(row.group(1))  # the listing that matched, by its title
    assert "Wholesale fruit prices" in text_of(row.group(1))
    assert "Tea yields wanted" not in inbox.text
    assert 'href="/supplier/demands/all"' in inbox.text
    every = web.get("/supplier/demands/all").text
    assert f'id="demand-{fruit}"' in every
    assert f'id="demand-{tea}"' in every
    # Another supplier, with no listing, has an empty inbox but sees both open demands.
    with TestClient(api.app, raise_server_exceptions=False) as olga:
        sign_in(olga, OTHER)
        theirs = olga.get("/supplier/demands").text
        assert f'id="demand-{fruit}"' not in theirs
        assert "No open demand matches your listings." in text_of(theirs)
        assert f'id="demand-{tea}"' in olga.get("/supplier/demands/all").text


def test_a_supplier_opens_an_auction_of_an_exclusive_listing(
    web: TestClient, api: TestClient, suppliers: Suppliers, engine: Engine
) -> None:
    assert "Only an exclusive listing can be auctioned" in text_of(
        web.get("/supplier/auctions").text
    )
    listing_id = listed_with_form(web, api, suppliers, exclusive="on")
    page = "/supplier/auctions"
    before = row_counts(engine)
    form = {"listing_id": listing_id, "reserve": "100.00", "commit_hours": "48"}
    refused = post(web, page, page, {**form, "reveal_hours": "0"})
    assert refused.status_code == 400
    assert 'id="e-reveal_hours"' in refused.text
    assert row_counts(engine) == before

    r = post(web, page, page, {**form, "reveal_hours": "24"})

    assert r.status_code == 303, r.text
    auctions = api.get("/auctions", params={"listing_id": listing_id}).json()
    assert [(a["reserve_minor"], a["status"]) for a in auctions] == [(10000, "committing")]
    shown = web.get(page)
    assert f'id="auction-{auctions[0]["id"]}"' in shown.text
