"""Listings over HTTP: a supplier offers its approved asset under signed terms and a price (the
exchange signs for a custodial account; a self-custody one signs the draft itself); anyone reads
the listing, in plain words and as ODRL, without logging in; bad offers are refused with a clear
4xx and change nothing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.identity import signing
from tests.marketplace.assets.helpers import CSV, Party, create, party, upload, verify
from tests.marketplace.assets.test_objections_http import file as file_objection
from tests.marketplace.listings.helpers import (
    TERMS,
    approved,
    approved_self_signed,
    create_listing,
    offer,
    post_listing,
    self_custody_supplier,
    sign_typed,
    terms,
)


def _entries(api: TestClient, subject: str) -> list[dict[str, Any]]:
    r = api.get("/ledger/entries", params={"subject": subject, "limit": 500})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _journal_size(api: TestClient) -> int:
    r = api.get("/ledger/entries", params={"limit": 1, "order": "desc"})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    return int(items[0]["seq"]) if items else 0


def test_a_custodial_supplier_lists_an_approved_asset_which_becomes_listed(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)

    r = post_listing(api, supplier, asset_id)

    assert r.status_code == 201, r.text
    listing = r.json()
    assert listing["status"] == "active"
    assert listing["available"] is True
    assert listing["price_plain"] == "1,250.00 CNY, paid once"
    assert listing["headline_minor"] == 125_000
    assert listing["terms_plain"][0] == "Permitted for: research, internal analytics."
    assert listing["asset_title"] == "Fruit prices"
    assert api.get(f"/assets/{asset_id}").json()["status"] == "listed"
    # The supplier's key signed the offer the listing stores.
    assert listing["signer"] == supplier.address
    assert signing.recover(listing["offer"], listing["signature"]) == supplier.address
    assert listing["offer"]["message"]["assetId"] == asset_id
    # One listing.created entry carries what was signed; the asset's listing is journaled too.
    (created,) = _entries(api, f"listing:{listing['id']}")
    assert created["kind"] == "listing.created"
    assert created["seq"] == listing["journal_seq"]
    assert created["signature"] == listing["signature"]
    payload = created["payload"]
    assert payload["terms_hash"] == listing["terms_hash"]
    assert payload["price_model"] == {"kind": "fixed", "amount_minor": "125000"}
    assert payload["terms"] == TERMS
    revision = api.get(f"/assets/{asset_id}/revisions/1").json()
    assert payload["content_hash"] == "0x" + revision["sha256"]
    kinds = [e["kind"] for e in _entries(api, f"asset:{asset_id}")]
    assert kinds[-1] == "asset.listed"


def test_a_listing_and_its_policy_are_read_without_logging_in(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    listing = create_listing(api, supplier, approved(api, supplier, ops))

    shown = api.get(f"/listings/{listing['id']}")
    policy = api.get(f"/listings/{listing['id']}/odrl")

    assert shown.status_code == 200
    assert shown.json() == listing
    assert policy.status_code == 200
    assert policy.headers["content-type"].startswith("application/ld+json")
    # ... which is the media type the OpenAPI document declares (the API fuzzer checks it).
    declared = api.get("/openapi.json").json()["paths"]["/listings/{listing_id}/odrl"]["get"]
    assert "application/ld+json" in declared["responses"]["200"]["content"]
    assert api.get("/listings/999999").json()["error"] == "listing_not_found"


def test_the_odrl_policy_states_the_terms(api: TestClient, ops: Party, supplier: Party) -> None:
    asset_id = approved(api, supplier, ops)
    restricted = create_listing(api, supplier, asset_id)
    open_terms = terms(territory=["worldwide"], redistribution=True, max_downloads=None)
    generous = create_listing(api, supplier, asset_id, terms=open_terms)

    policy = api.get(f"/listings/{restricted['id']}/odrl").json()

    assert policy["@type"] == "Offer"
    assert policy["@context"]["odrl"] == "http://www.w3.org/ns/odrl/2/"
    assert policy["uid"].endswith(f"/listings/{restricted['id']}/odrl")
    actions = [p["action"] for p in policy["permission"]]
    assert actions == ["use", "derive"]
    assert [p["action"] for p in policy["prohibition"]] == ["distribute"]
    use = policy["permission"][0]
    assert use["target"].endswith(f"/assets/{asset_id}")
    assert use["assigner"]["@id"] == f"urn:ethereum:{supplier.address}"
    constraints = {c["leftOperand"]: c for c in use["constraint"]}
    assert constraints["purpose"]["operator"] == "isAnyOf"
    assert [p["@id"].rsplit("/", 1)[1] for p in constraints["purpose"]["rightOperand"]] == [
        "research",
        "internal_analytics",
    ]
    assert constraints["elapsedTime"]["rightOperand"]["@value"] == "P365D"
    assert constraints["spatial"]["rightOperand"] == [{"@id": "urn:iso:std:iso:3166:-1:CN"}]
    assert constraints["count"] == {
        "leftOperand": "count",
        "operator": "lteq",
        "rightOperand": {"@value": 5, "@type": "xsd:integer"},
    }

    wide = api.get(f"/listings/{generous['id']}/odrl").json()
    assert [p["action"] for p in wide["permission"]] == ["use", "distribute", "derive"]
    assert "prohibition" not in wide
    operands = {c["leftOperand"] for c in wide["permission"][0]["constraint"]}
    assert operands == {"purpose", "elapsedTime"}  # worldwide, unlimited downloads


def test_a_self_custody_supplier_signs_the_draft_itself(api: TestClient, ops: Party) -> None:
    who, wallet = self_custody_supplier(api, ops, "Self Custody Ltd")
    asset_id = approved_self_signed(api, who, wallet, ops)
    body = offer(asset_id)
    # Without a signature it is told to sign locally.
    refused = api.post("/listings", json=body, headers=who.headers)
    assert refused.status_code == 400
    assert refused.json()["error"] == "not_custodial"

    draft = api.post("/listings/draft", json=body, headers=who.headers)
    assert draft.status_code == 200, draft.text
    d = draft.json()
    signature = sign_typed(wallet, d["typed_data"])
    signed = {**body, "signature": signature, "nonce": int(d["nonce"]), "deadline": d["deadline"]}

    # A signature over another nonce, or over other terms, is refused.
    wrong_nonce = api.post(
        "/listings", json={**signed, "nonce": int(d["nonce"]) + 1}, headers=who.headers
    )
    assert wrong_nonce.status_code == 400
    assert wrong_nonce.json()["error"] == "signature_rejected"
    other_terms = {**signed, "price_model": {"kind": "fixed", "amount_minor": 1}}
    assert api.post("/listings", json=other_terms, headers=who.headers).status_code == 400

    r = api.post("/listings", json=signed, headers=who.headers)
    assert r.status_code == 201, r.text
    listing = r.json()
    assert listing["signature"] == signature
    assert listing["terms_hash"] == d["terms_hash"]
    assert signing.recover(listing["offer"], signature) == wallet.address

    # The nonce is spent: once withdrawn, the same signed offer cannot list it again.
    assert api.post(f"/listings/{listing['id']}/withdraw", headers=who.headers).is_success
    replay = api.post("/listings", json=signed, headers=who.headers)
    assert replay.status_code == 409
    assert replay.json()["error"] == "nonce_reused"


BIG = 2**63
BAD_PRICES: list[tuple[str, dict[str, Any]]] = [
    ("zero", {"kind": "fixed", "amount_minor": 0}),
    ("negative", {"kind": "fixed", "amount_minor": -100}),
    ("over 64 bits", {"kind": "fixed", "amount_minor": BIG}),
    ("far over 64 bits", {"kind": "fixed", "amount_minor": 10**40}),
    ("a string", {"kind": "fixed", "amount_minor": "100"}),
    ("a fraction", {"kind": "fixed", "amount_minor": 1.5}),
    ("a boolean", {"kind": "fixed", "amount_minor": True}),
    ("negative subscription", {"kind": "subscription", "amount_minor": -1, "period": "month"}),
    ("unknown period", {"kind": "subscription", "amount_minor": 1, "period": "week"}),
    (
        "cap below unit price",
        {"kind": "metered", "unit": "row", "unit_price_minor": 10, "cap_minor": 5},
    ),
    ("zero unit price", {"kind": "metered", "unit": "row", "unit_price_minor": 0, "cap_minor": 5}),
    (
        "cap over 64 bits",
        {"kind": "metered", "unit": "api_call", "unit_price_minor": 1, "cap_minor": BIG},
    ),
    (
        "tiers descending",
        {
            "kind": "tiered",
            "unit": "row",
            "tiers": [
                {"from_units": 0, "unit_price_minor": 10},
                {"from_units": 1000, "unit_price_minor": 8},
                {"from_units": 500, "unit_price_minor": 5},
            ],
        },
    ),
    (
        "first tier not at 0",
        {"kind": "tiered", "unit": "row", "tiers": [{"from_units": 10, "unit_price_minor": 1}]},
    ),
    (
        "a tier dearer than the one before",
        {
            "kind": "tiered",
            "unit": "row",
            "tiers": [
                {"from_units": 0, "unit_price_minor": 5},
                {"from_units": 10, "unit_price_minor": 6},
            ],
        },
    ),
    ("no tiers", {"kind": "tiered", "unit": "row", "tiers": []}),
    (
        "public data over its ceiling",
        {"kind": "public_data", "cost_minor": 1000, "margin_bp": 1000, "price_minor": 1101},
    ),
    (
        "public data margin out of bounds",
        {"kind": "public_data", "cost_minor": 1000, "margin_bp": 10_001, "price_minor": 1000},
    ),
    (
        "public data zero cost",
        {"kind": "public_data", "cost_minor": 0, "margin_bp": 0, "price_minor": 1},
    ),
    ("unknown kind", {"kind": "barter"}),
    ("an extra field", {"kind": "fixed", "amount_minor": 1, "discount": 5}),
    ("negotiable with a price", {"kind": "negotiable", "amount_minor": 5}),
]
BAD_TERMS: list[tuple[str, dict[str, Any]]] = [
    ("no purpose", terms(purposes=[])),
    ("unknown purpose", terms(purposes=["espionage"])),
    ("a purpose twice", terms(purposes=["research", "research"])),
    ("unknown country", terms(territory=["XX"])),
    ("worldwide and a country", terms(territory=["worldwide", "CN"])),
    ("no territory", terms(territory=[])),
    ("zero duration", terms(licence_duration_days=0)),
    ("duration too long", terms(licence_duration_days=36_501)),
    ("zero downloads", terms(max_downloads=0)),
    ("zero acceptance window", terms(acceptance_window_h=0)),
    ("dispute window too long", terms(dispute_window_h=10**6)),
    ("unknown delivery mode", terms(delivery_mode="carrier_pigeon")),
    ("a missing field", {k: v for k, v in TERMS.items() if k != "redistribution"}),
    ("an extra field", terms(royalty=5)),
    # Not coerced: each would be signed as the number or boolean it looks like.
    ("duration true", terms(licence_duration_days=True)),
    ("duration as a numeral", terms(licence_duration_days="30")),
    ("duration as a float", terms(licence_duration_days=30.0)),
    ("downloads true", terms(max_downloads=True)),
    ("redistribution as a word", terms(redistribution="yes")),
    ("derivatives as a number", terms(derivatives=1)),
    ("exclusive as a numeral", terms(exclusive="0")),
    ("window as a numeral", terms(acceptance_window_h="72")),
]


@pytest.mark.parametrize(("case", "price"), BAD_PRICES, ids=[c for c, _ in BAD_PRICES])
def test_a_bad_price_is_refused_and_changes_nothing(
    api: TestClient, ops: Party, supplier: Party, case: str, price: dict[str, Any]
) -> None:
    asset_id = approved(api, supplier, ops)
    before = _journal_size(api)

    r = post_listing(api, supplier, asset_id, price_model=price)

    assert r.status_code == 422, (case, r.text)
    assert set(r.json()) == {"error", "message"}
    assert "price_model" in r.json()["message"]
    assert _journal_size(api) == before
    assert api.get(f"/assets/{asset_id}", headers=supplier.headers).json()["status"] == "approved"


@pytest.mark.parametrize(("case", "bad"), BAD_TERMS, ids=[c for c, _ in BAD_TERMS])
def test_bad_terms_are_refused_and_change_nothing(
    api: TestClient, ops: Party, supplier: Party, case: str, bad: dict[str, Any]
) -> None:
    asset_id = approved(api, supplier, ops)
    before = _journal_size(api)

    r = post_listing(api, supplier, asset_id, terms=bad)

    assert r.status_code == 422, (case, r.text)
    assert set(r.json()) == {"error", "message"}
    assert "terms" in r.json()["message"]
    assert _journal_size(api) == before


def test_the_largest_64_bit_price_is_accepted(api: TestClient, ops: Party, supplier: Party) -> None:
    asset_id = approved(api, supplier, ops)
    top = 2**63 - 1
    listing = create_listing(
        api, supplier, asset_id, price_model={"kind": "fixed", "amount_minor": top}
    )
    assert listing["headline_minor"] == top
    (created,) = _entries(api, f"listing:{listing['id']}")
    assert created["payload"]["price_model"]["amount_minor"] == str(top)


def test_each_price_model_is_listed_with_its_headline_and_plain_words(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    cases = [
        ({"kind": "subscription", "amount_minor": 9900, "period": "month"},
         9900, "99.00 CNY per month; does not renew automatically"),
        ({"kind": "metered", "unit": "api_call", "unit_price_minor": 2, "cap_minor": 50_000},
         2, "0.02 CNY per API call, at most 500.00 CNY per month"),
        ({"kind": "tiered", "unit": "row", "tiers": [
            {"from_units": 0, "unit_price_minor": 10},
            {"from_units": 10_000, "unit_price_minor": 5}]},
         10, "0.10 CNY per row; 0.05 CNY per row from 10,000 rows on"),
        ({"kind": "negotiable"}, None, "Price on request: ask the supplier for a quote"),
        ({"kind": "public_data", "cost_minor": 10_000, "margin_bp": 1000, "price_minor": 11_000},
         11_000, "110.00 CNY, paid once (public data: cost 100.00 CNY plus at most 10.00 %; "
         "ceiling 110.00 CNY)"),
    ]  # fmt: skip
    for model, headline, words in cases:
        listing = create_listing(api, supplier, asset_id, price_model=model)
        assert listing["price_model"]["kind"] == model["kind"]
        assert listing["headline_minor"] == headline
        assert listing["price_plain"] == words


def test_another_organisations_asset_cannot_be_listed(
    api: TestClient, ops: Party, supplier: Party, rival: Party
) -> None:
    listed = approved(api, supplier, ops)
    create_listing(api, supplier, listed)
    unlisted = approved(api, supplier, ops)
    before = _journal_size(api)

    seen = post_listing(api, rival, listed)
    unseen = post_listing(api, rival, unlisted)

    assert seen.status_code == 403
    assert seen.json() == {
        "error": "not_asset_owner",
        "message": f"asset {listed} belongs to another organisation",
    }
    assert unseen.status_code == 404  # an unlisted asset of another organisation is not shown
    assert unseen.json()["error"] == "asset_not_found"
    assert _journal_size(api) == before


@pytest.mark.parametrize("stage", ["draft", "under_review", "rejected"])
def test_an_unapproved_asset_cannot_be_listed(
    api: TestClient, ops: Party, supplier: Party, stage: str
) -> None:
    asset_id = int(create(api, supplier)["id"])
    assert upload(api, supplier, asset_id, CSV).status_code == 201
    if stage != "draft":
        assert api.post(f"/assets/{asset_id}/submit", json={}, headers=supplier.headers).is_success
    if stage == "rejected":
        from tests.marketplace.assets.helpers import review

        assert review(api, ops, asset_id, "rejected", "no proof").status_code == 201
    before = _journal_size(api)

    r = post_listing(api, supplier, asset_id)

    assert r.status_code == 409
    assert r.json() == {
        "error": "asset_not_listable",
        "message": f"asset {asset_id} is {stage}; only an approved or listed asset can be "
        "offered (submit it for review and wait for its approval)",
    }
    assert _journal_size(api) == before


def test_only_verified_suppliers_list(api: TestClient, ops: Party, supplier: Party) -> None:
    asset_id = approved(api, supplier, ops)
    buyer = party(api, "carol@buyer.test", "Carol Buys", ["buyer"])
    verify(api, ops, buyer)
    unverified = party(api, "dan@new.test", "Dan New", ["supplier"])

    assert post_listing(api, buyer, asset_id).status_code == 403
    assert post_listing(api, unverified, asset_id).status_code == 403
    assert api.post("/listings", json=offer(asset_id)).status_code == 401


def test_important_data_is_offered_only_key_wrapped(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops, classification="important")

    r = post_listing(api, supplier, asset_id)
    assert r.status_code == 422
    assert "key_wrapped" in r.json()["message"]

    wrapped = create_listing(api, supplier, asset_id, terms=terms(delivery_mode="key_wrapped"))
    assert "encrypted to the public key you register" in wrapped["terms_plain"][5]


def test_the_same_offer_twice_is_a_duplicate_but_other_terms_are_another_listing(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    first = create_listing(api, supplier, asset_id)

    again = post_listing(api, supplier, asset_id)
    commercial = post_listing(
        api, supplier, asset_id, terms=terms(purposes=["commercial"]),
        price_model={"kind": "fixed", "amount_minor": 900_000},
    )  # fmt: skip

    assert again.status_code == 409
    assert again.json()["error"] == "duplicate_listing"
    assert f"listing {first['id']}" in again.json()["message"]
    assert commercial.status_code == 201


def test_an_exclusive_listing_is_its_assets_only_open_listing(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    exclusive = create_listing(api, supplier, asset_id, terms=terms(exclusive=True))
    before = len(api.get("/ledger/entries", params={"limit": 500}).json()["items"])

    second = post_listing(api, supplier, asset_id, terms=terms(exclusive=True, max_downloads=4))
    beside = post_listing(api, supplier, asset_id, terms=terms(max_downloads=3))

    for refused in (second, beside):
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"] == "exclusive_conflict"
        assert f"listing {exclusive['id']}" in refused.json()["message"]
    assert len(api.get("/ledger/entries", params={"limit": 500}).json()["items"]) == before

    other = approved(api, supplier, ops)
    create_listing(api, supplier, other)
    late = post_listing(api, supplier, other, terms=terms(exclusive=True))
    assert late.status_code == 409
    assert late.json()["error"] == "exclusive_conflict"


def test_concurrent_duplicate_creates_make_one_listing_and_one_entry(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    barrier = threading.Barrier(4)

    def attempt(_: int) -> int:
        barrier.wait(timeout=30)
        return post_listing(api, supplier, asset_id).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(attempt, range(4)))

    assert statuses == [201, 409, 409, 409]
    created = [
        e for e in api.get("/ledger/entries", params={"limit": 500}).json()["items"]
        if e["kind"] == "listing.created"
    ]  # fmt: skip
    assert len(created) == 1
    listed = [e for e in _entries(api, f"asset:{asset_id}") if e["kind"] == "asset.listed"]
    assert len(listed) == 1


def test_only_the_supplier_pauses_resumes_and_withdraws(
    api: TestClient, ops: Party, supplier: Party, rival: Party
) -> None:
    listing = create_listing(api, supplier, approved(api, supplier, ops))
    path = f"/listings/{listing['id']}"

    assert api.post(f"{path}/pause").status_code == 401
    theirs = api.post(f"{path}/pause", headers=rival.headers)
    assert theirs.status_code == 403
    assert theirs.json()["error"] == "not_listing_owner"
    paused = api.post(f"{path}/pause", headers=supplier.headers).json()
    assert (paused["status"], paused["available"]) == ("paused", False)
    assert api.post(f"{path}/resume", headers=supplier.headers).json()["available"] is True
    assert api.post(f"{path}/withdraw", headers=supplier.headers).json()["status"] == "withdrawn"
    assert api.post("/listings/999999/pause", headers=supplier.headers).status_code == 404


def test_an_asset_under_objection_flags_its_listings(
    api: TestClient, ops: Party, supplier: Party, rival: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    listing = create_listing(api, supplier, asset_id)
    assert listing["under_objection"] is False

    assert file_objection(api, rival, asset_id).status_code == 201

    shown = api.get(f"/listings/{listing['id']}").json()
    assert shown["under_objection"] is True
    assert shown["available"] is True  # buyers see the flag and decide


def test_a_delisted_assets_listing_is_not_available(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    listing = create_listing(api, supplier, asset_id)

    assert api.post(f"/assets/{asset_id}/delist", headers=supplier.headers).is_success

    shown = api.get(f"/listings/{listing['id']}").json()
    assert (shown["status"], shown["available"], shown["asset_title"]) == ("active", False, None)


def test_unknown_fields_and_bad_ids_are_refused(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    assert post_listing(api, supplier, asset_id, colour="red").status_code == 422
    assert post_listing(api, supplier, 2**63).status_code == 422
    assert post_listing(api, supplier, 0).status_code == 422
    assert api.get(f"/listings/{2**63}").status_code == 422
    assert post_listing(api, supplier, asset_id, signature="0x12").status_code == 422


def test_concurrent_creates_of_other_terms_list_the_asset_once(
    api: TestClient, ops: Party, supplier: Party
) -> None:
    asset_id = approved(api, supplier, ops)
    purposes = ["research", "commercial", "journalism", "ai_training"]
    barrier = threading.Barrier(len(purposes))

    def attempt(purpose: str) -> int:
        barrier.wait(timeout=30)
        return post_listing(api, supplier, asset_id, terms=terms(purposes=[purpose])).status_code

    with ThreadPoolExecutor(len(purposes)) as pool:
        statuses = list(pool.map(attempt, purposes))

    assert statuses == [201] * len(purposes)
    listed = [e for e in _entries(api, f"asset:{asset_id}") if e["kind"] == "asset.listed"]
    assert len(listed) == 1
    assert len(api.get(f"/assets/{asset_id}").json()["listings"]) == len(purposes)
