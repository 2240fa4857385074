"""Demands over HTTP: posting, reading as each kind of caller may, closing, the ranked matches
with their explanations, and the notifications matching sends."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.canonical import canonical_json
from marketplace.matching.schemas import DemandCreate
from tests.marketplace.assets.helpers import Party, party, verify
from tests.marketplace.matching.helpers import (
    AIR_CSV,
    CITY_CSV,
    FRUIT_CSV,
    deadline,
    demand_body,
    inbox_kinds,
    journal_kinds,
    listing_of,
    post_demand,
)

AIR = {
    "title": "Hangzhou air quality, hourly",
    "description": "PM2.5 by city, every hour",
    "keywords": ["air quality", "pm25"],
}
CITIES = {
    "title": "Zhejiang city populations",
    "description": "Population by city",
    "keywords": ["population", "city"],
}


def test_a_verified_buyer_posts_a_demand_that_opens_with_its_journal_entry(
    api: TestClient, buyer: Party
) -> None:
    demand = post_demand(api, buyer)
    assert demand["status"] == "open"
    assert demand["buyer_organization_id"] == buyer.organization_id
    assert [f["name"] for f in demand["fields"]] == ["city", "pm25", "ts"]
    assert demand["currency"] == "CNY"
    assert journal_kinds(api, buyer, demand["id"]) == ["demand.posted"]
    mine = api.get("/demands/mine", headers=buyer.headers).json()
    assert [d["id"] for d in mine["items"]] == [demand["id"]]


def test_the_public_posted_entry_holds_the_demands_hash_not_its_buyer_or_budget(
    api: TestClient, buyer: Party
) -> None:
    body = demand_body(quality_min=72.5)
    r = api.post("/demands", json=body, headers=buyer.headers)
    assert r.status_code == 201, r.text
    demand = r.json()
    assert demand["quality_min"] == 72.5
    entries = api.get("/ledger/entries", params={"subject": f"demand:{demand['id']}"}).json()
    (entry,) = entries["items"]  # read with no login
    assert set(entry["payload"]) == {"demand_id", "demand_sha256"}
    assert entry["payload"]["demand_id"] == demand["id"]
    # The buyer recomputes the hash from what it posted (the minimum quality as text, since
    # canonical JSON takes no floats).
    document = DemandCreate.model_validate(body).model_dump(mode="json")
    document["quality_min"] = "72.5"
    assert entry["payload"]["demand_sha256"] == hashlib.sha256(canonical_json(document)).hexdigest()
    assert entry["seq"] == demand["journal_seq"]


def test_a_demand_ranks_the_listing_with_every_field_ahead_of_the_one_with_only_city(
    api: TestClient, supplier: Party, rival: Party, ops: Party, buyer: Party
) -> None:
    city_only = listing_of(api, rival, ops, CITY_CSV, **CITIES)
    full = listing_of(api, supplier, ops, AIR_CSV, **AIR)
    fruit = listing_of(api, supplier, ops, FRUIT_CSV)
    demand = post_demand(api, buyer)
    r = api.get(f"/demands/{demand['id']}/matches", headers=buyer.headers)
    assert r.status_code == 200, r.text
    ranked = r.json()["matches"]
    ids = [m["listing_id"] for m in ranked]
    assert ids[:2] == [full["id"], city_only["id"]]
    assert fruit["id"] not in ids  # shares no word and no field with the demand
    best, second = ranked[0]["explanation"], ranked[1]["explanation"]
    assert {f["required"]: f["column"] for f in best["fields_matched"]} == {
        "city": "city",
        "pm25": "pm25",
        "ts": "ts",
    }
    assert best["fields_missing"] == []
    assert best["purpose"] == {"purpose": "research", "permitted": True, "reason": None}
    assert best["price"]["verdict"] == "inside"
    assert second["fields_missing"] == ["pm25", "ts"]
    assert ranked[0]["listing"]["id"] == full["id"]
    assert ranked[0]["score"] > ranked[1]["score"]


def test_a_purpose_the_terms_refuse_is_explained_with_the_terms_reason(
    api: TestClient, supplier: Party, ops: Party, buyer: Party
) -> None:
    listing_of(api, supplier, ops, AIR_CSV, **AIR)
    demand = post_demand(api, buyer, purpose="commercial")
    ranked = api.get(f"/demands/{demand['id']}/matches", headers=buyer.headers).json()["matches"]
    purpose = ranked[0]["explanation"]["purpose"]
    assert purpose["permitted"] is False
    assert "does not permit commercial use" in purpose["reason"]


def test_posting_notifies_the_supplier_of_a_good_match(
    api: TestClient, supplier: Party, ops: Party, buyer: Party
) -> None:
    listing_of(api, supplier, ops, AIR_CSV, **AIR)
    demand = post_demand(api, buyer)
    assert ("demand.matched", f"demand:{demand['id']}") in inbox_kinds(api, supplier)


def test_a_new_listing_is_matched_against_open_demands_and_both_sides_are_told(
    api: TestClient, supplier: Party, ops: Party, buyer: Party
) -> None:
    demand = post_demand(api, buyer)
    assert inbox_kinds(api, buyer) == []
    listing_of(api, supplier, ops, AIR_CSV, **AIR)
    subject = f"demand:{demand['id']}"
    assert ("listing.matched", subject) in inbox_kinds(api, buyer)
    assert ("demand.matched", subject) in inbox_kinds(api, supplier)


def test_a_buyer_never_matches_its_own_listings(api: TestClient, rival: Party, ops: Party) -> None:
    listing_of(api, rival, ops, AIR_CSV, **AIR)
    demand = post_demand(api, rival)
    r = api.get(f"/demands/{demand['id']}/matches", headers=rival.headers)
    assert r.json()["matches"] == []


# --- who sees what ----------------------------------------------------------------------------


def test_a_verified_supplier_sees_open_demands_without_the_buyer(
    api: TestClient, buyer: Party, supplier: Party
) -> None:
    demand = post_demand(api, buyer)
    page = api.get("/demands", headers=supplier.headers).json()
    assert [d["id"] for d in page["items"]] == [demand["id"]]
    assert page["items"][0]["buyer_organization_id"] is None
    one = api.get(f"/demands/{demand['id']}", headers=supplier.headers).json()
    assert one["buyer_organization_id"] is None
    assert one["title"] == demand["title"]


def test_a_supplier_may_not_read_matches_nor_close_another_organisations_demand(
    api: TestClient, buyer: Party, supplier: Party
) -> None:
    demand = post_demand(api, buyer)
    for method, path in (("GET", "/matches"), ("POST", "/close")):
        r = api.request(method, f"/demands/{demand['id']}{path}", headers=supplier.headers)
        assert r.status_code == 403, r.text
        assert r.json()["error"] == "not_demand_owner"
    assert api.get(f"/demands/{demand['id']}", headers=buyer.headers).json()["status"] == "open"


def test_others_see_no_demand_at_all(api: TestClient, ops: Party, buyer: Party) -> None:
    demand = post_demand(api, buyer)
    other_buyer = party(api, "dan@buyer2.test", "Dan Buys", ["buyer"])
    verify(api, ops, other_buyer)
    unverified = party(api, "eve@new.test", "Eve New", ["supplier"])
    for who in (other_buyer, unverified):
        for path in ("", "/matches"):
            r = api.get(f"/demands/{demand['id']}{path}", headers=who.headers)
            assert r.status_code == 404, r.text
            assert r.json()["error"] == "demand_not_found"
        r = api.post(f"/demands/{demand['id']}/close", headers=who.headers)
        assert r.status_code == 404
        assert api.get("/demands/mine", headers=who.headers).json()["items"] == []
    assert api.get("/demands", headers=unverified.headers).status_code == 403
    assert api.get("/demands", headers=other_buyer.headers).status_code == 403
    assert api.get(f"/demands/{demand['id']}").status_code == 401


def test_an_operator_sees_every_demand_with_its_buyer(
    api: TestClient, ops: Party, buyer: Party, supplier: Party
) -> None:
    demand = post_demand(api, buyer)
    api.post(f"/demands/{demand['id']}/close", headers=buyer.headers)
    shown = api.get(f"/demands/{demand['id']}", headers=ops.headers).json()
    assert shown["buyer_organization_id"] == buyer.organization_id
    assert shown["status"] == "closed"
    assert api.get(f"/demands/{demand['id']}", headers=supplier.headers).status_code == 404


# --- closing ------------------------------------------------------------------------------------


def test_the_buyer_closes_its_demand_once(api: TestClient, buyer: Party) -> None:
    demand = post_demand(api, buyer)
    r = api.post(f"/demands/{demand['id']}/close", headers=buyer.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed"
    again = api.post(f"/demands/{demand['id']}/close", headers=buyer.headers)
    assert again.status_code == 409
    assert again.json() == {
        "error": "demand_state",
        "message": "cannot close a demand that is closed; it must be open",
    }
    assert journal_kinds(api, buyer, demand["id"]) == ["demand.posted", "demand.closed"]


# --- who may post, and hostile bodies -----------------------------------------------------------


def test_only_a_verified_buyer_posts(api: TestClient, ops: Party, supplier: Party) -> None:
    unverified = party(api, "fay@buyer3.test", "Fay Buys", ["buyer"])
    r = api.post("/demands", json=demand_body(), headers=unverified.headers)
    assert (r.status_code, r.json()["error"]) == (403, "not_verified")
    r = api.post("/demands", json=demand_body(), headers=supplier.headers)
    assert (r.status_code, r.json()["error"]) == (403, "role_required")
    assert api.post("/demands", json=demand_body()).status_code == 401


HOSTILE: list[tuple[str, dict[str, Any]]] = [
    ("zero budget", {"budget_min_minor": 0}),
    ("negative budget", {"budget_min_minor": -5}),
    ("budget over 64 bits", {"budget_max_minor": 2**63}),
    ("min above max", {"budget_min_minor": 900_000, "budget_max_minor": 100}),
    ("budget as a string", {"budget_min_minor": "100"}),
    ("past deadline", {"deadline": deadline(-1)}),
    ("deadline too far", {"deadline": deadline(400)}),
    ("deadline without a zone", {"deadline": "2030-01-01T00:00:00"}),
    ("unknown purpose", {"purpose": "espionage"}),
    ("quality over 100", {"quality_min": 101}),
    ("quality negative", {"quality_min": -1}),
    ("unknown field", {"admin": True}),
    ("blank title", {"title": "   "}),
    ("title too long", {"title": "x" * 201}),
    ("control characters", {"title": "air\x00quality"}),
    ("field type unknown", {"fields": [{"name": "city", "type": "varchar"}]}),
    ("field without letters", {"fields": [{"name": "__"}]}),
    ("field twice", {"fields": [{"name": "PM2.5"}, {"name": "pm25"}]}),
    ("field with extra keys", {"fields": [{"name": "city", "sql": "drop"}]}),
    ("too many fields", {"fields": [{"name": f"c{i}"} for i in range(101)]}),
    ("too many keywords", {"keywords": [f"k{i}" for i in range(33)]}),
    ("keywords not a list", {"keywords": "air"}),
]


@pytest.mark.parametrize(("case", "change"), HOSTILE, ids=[c for c, _ in HOSTILE])
def test_a_hostile_body_is_a_4xx_with_a_message_and_writes_nothing(
    api: TestClient, buyer: Party, case: str, change: dict[str, Any]
) -> None:
    r = api.post("/demands", json=demand_body(**change), headers=buyer.headers)
    assert r.status_code == 422, (case, r.text)
    assert set(r.json()) == {"error", "message"}
    assert r.json()["message"]
    assert api.get("/demands/mine", headers=buyer.headers).json()["items"] == []


@pytest.mark.parametrize(
    "path", ["/demands/0", "/demands/9223372036854775808", "/demands/abc", "/demands/-1/close"]
)
def test_a_bad_demand_id_is_a_422_never_a_500(api: TestClient, buyer: Party, path: str) -> None:
    r = api.request("POST" if path.endswith("close") else "GET", path, headers=buyer.headers)
    assert r.status_code == 422, r.text


def test_pages_of_my_demands_follow_the_cursor_and_a_bad_cursor_is_refused(
    api: TestClient, buyer: Party
) -> None:
    ids = [post_demand(api, buyer, title=f"demand {i}")["id"] for i in range(3)]
    first = api.get("/demands/mine", params={"limit": 2}, headers=buyer.headers).json()
    assert [d["id"] for d in first["items"]] == ids[::-1][:2]
    rest = api.get(
        "/demands/mine", params={"limit": 2, "cursor": first["next_cursor"]}, headers=buyer.headers
    ).json()
    assert [d["id"] for d in rest["items"]] == ids[:1]
    assert rest["next_cursor"] is None
    for bad in ("1 OR 1=1", "\u00b2"):  # a superscript two is a digit to str.isdigit only
        r = api.get("/demands/mine", params={"cursor": bad}, headers=buyer.headers)
        assert r.status_code == 422
        assert r.json()["error"] == "invalid_demand"
