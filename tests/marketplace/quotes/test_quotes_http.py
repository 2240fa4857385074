"""Quotes over HTTP, on SQLite and PostgreSQL: a supplier answers a buyer's demand with a signed
quote, the buyer accepts it (an order is placed, the demand fulfilled, the other quotes
rejected), and every way round the rules is refused with a clear 4xx that changes nothing,
seen from the attacker's side: a rival supplier, a rival buyer, the public."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.identity import signing
from marketplace.quotes.offer import QuoteOffer
from tests.marketplace.assets.helpers import Party
from tests.marketplace.identity.helpers import CHAIN_ID
from tests.marketplace.quotes.helpers import (
    PRICE,
    demand,
    entries,
    in_days,
    inbox_kinds,
    listing,
    post_quote,
    send_quote,
    terms,
)


def _seen(api: TestClient, buyer: Party, demand_id: int) -> Any:
    """What the buyer sees of the demand's quotes and the journal: a refused request changes
    neither."""
    quotes = api.get(f"/demands/{demand_id}/quotes", headers=buyer.headers).json()
    head = api.get("/ledger/entries", params={"limit": 1, "order": "desc"}, headers=buyer.headers)
    return quotes, head.json()


def _error(r: Any, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "message"}
    assert body["error"] == code, body
    message: str = body["message"]
    return message


# --- sending ----------------------------------------------------------------------------------


def test_a_supplier_sends_a_signed_quote_the_buyer_sees_it_and_is_notified(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    offered = listing(api, supplier, ops)
    demand_id = demand(api, buyer)
    quote = send_quote(api, supplier, demand_id, offered["id"])
    assert (quote["status"], quote["price_minor"], quote["demand_id"]) == (
        "offered",
        PRICE,
        demand_id,
    )
    assert quote["listing_id"] == offered["id"]
    assert quote["terms"] == offered["terms"]
    assert quote["terms_plain"] == offered["terms_plain"]
    assert quote["supplier_organization_id"] == supplier.organization_id
    assert quote["buyer_organization_id"] is None  # the supplier learns who asks on acceptance
    # the signature is the supplier's, over the offer the journal holds
    offer = QuoteOffer.model_validate(quote["offer"])
    typed = offer.typed_data(signing.domain(CHAIN_ID, None))
    assert signing.recover(typed, quote["signature"]).lower() == supplier.address.lower()
    (entry,) = entries(api, buyer, f"quote:{quote['id']}")
    assert (entry["kind"], entry["seq"], entry["signature"]) == (
        "quote.offered",
        quote["offer_seq"],
        quote["signature"],
    )
    # the public entry holds the digest of the signed offer, never its price or terms
    assert entry["payload"] == {
        "quote_id": quote["id"],
        "demand_id": demand_id,
        "offer_digest": signing.digest(typed),
        "valid_until": quote["offer"]["valid_until"],
    }
    assert "quote.received" in inbox_kinds(api, buyer)
    seen_by_buyer = {**quote, "buyer_organization_id": buyer.organization_id}
    assert api.get(f"/quotes/{quote['id']}", headers=buyer.headers).json() == seen_by_buyer
    assert api.get(f"/quotes/{quote['id']}", headers=supplier.headers).json() == quote


def test_a_quote_may_narrow_the_listing_terms(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    offered = listing(api, supplier, ops)
    narrower = terms(purposes=["research"], licence_duration_days=90, max_downloads=2)
    quote = send_quote(api, supplier, demand(api, buyer), offered["id"], terms=narrower)
    assert quote["terms"]["purposes"] == ["research"]
    assert quote["terms"]["licence_duration_days"] == 90
    assert quote["terms_hash"] != offered["terms_hash"]


@pytest.mark.parametrize(
    ("wider", "named"),
    [
        ({"purposes": ["research", "commercial"]}, "commercial"),
        ({"licence_duration_days": 366}, "366 days"),
        ({"territory": ["CN", "US"]}, "territory"),
        ({"redistribution": True}, "redistribution"),
        ({"max_downloads": None}, "downloads"),
        ({"exclusive": True}, "exclusive"),
        ({"acceptance_window_h": 24}, "acceptance_window_h"),
        ({"purposes": ["internal_analytics"]}, "research"),  # the demand's purpose is lost
    ],
)
def test_terms_wider_than_the_listing_or_without_the_purpose_are_refused(
    api: TestClient,
    *,
    supplier: Party,
    buyer: Party,
    ops: Party,
    wider: dict[str, Any],
    named: str,
) -> None:
    offered = listing(api, supplier, ops)
    demand_id = demand(api, buyer)
    before = _seen(api, buyer, demand_id)
    r = post_quote(api, supplier, demand_id, offered["id"], terms=terms(**wider))
    assert named in _error(r, 422, "terms_not_narrower")
    assert _seen(api, buyer, demand_id) == before


@pytest.mark.parametrize("price", [0, -1, 2**63, "100", 1.5])
def test_a_price_that_is_not_1_to_2_63_minus_1_minor_units_is_refused(
    api: TestClient, supplier: Party, buyer: Party, ops: Party, price: Any
) -> None:
    offered = listing(api, supplier, ops)
    demand_id = demand(api, buyer)
    before = _seen(api, buyer, demand_id)
    r = post_quote(api, supplier, demand_id, offered["id"], price_minor=price)
    assert "price_minor" in _error(r, 422, "invalid_request")
    assert _seen(api, buyer, demand_id) == before


def test_the_largest_price_is_accepted(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    offered = listing(api, supplier, ops)
    quote = send_quote(api, supplier, demand(api, buyer), offered["id"], price_minor=2**63 - 1)
    assert quote["price_minor"] == 2**63 - 1


@pytest.mark.parametrize(
    "valid_until",
    [
        in_days(-1),
        in_days(0),
        in_days(31),
        "2030-01-01T00:00",
        "9999-12-31T23:59:59-23:59",  # in UTC past year 9999
        "0001-01-01T00:00:00+23:59",  # in UTC before year 1
    ],
    # stable ids: xdist workers must agree
    ids=["yesterday", "now", "in-31-days", "no-offset", "past-9999", "before-1"],
)
def test_a_validity_in_the_past_too_far_ahead_or_without_an_offset_is_refused(
    api: TestClient, supplier: Party, buyer: Party, ops: Party, valid_until: str
) -> None:
    offered = listing(api, supplier, ops)
    demand_id = demand(api, buyer)
    r = post_quote(api, supplier, demand_id, offered["id"], valid_until=valid_until)
    assert r.status_code == 422, r.text
    assert r.json()["error"] in {"invalid_validity", "invalid_request"}
    assert "valid_until" in r.json()["message"]


def test_a_quote_on_ones_own_organisations_demand_is_refused(
    api: TestClient, rival: Party, ops: Party
) -> None:
    offered = listing(api, rival, ops)
    demand_id = demand(api, rival)
    r = post_quote(api, rival, demand_id, offered["id"])
    assert "your own organisation's demand" in _error(r, 403, "own_demand")


def test_a_quote_with_someone_elses_listing_is_refused(
    api: TestClient, supplier: Party, rival: Party, buyer: Party, ops: Party
) -> None:
    theirs = listing(api, supplier, ops)
    demand_id = demand(api, buyer)
    before = _seen(api, buyer, demand_id)
    r = post_quote(api, rival, demand_id, theirs["id"])
    assert "not your organisation's" in _error(r, 403, "not_your_listing")
    assert _seen(api, buyer, demand_id) == before


def test_a_quote_needs_a_verified_supplier(api: TestClient, buyer: Party, ops: Party) -> None:
    demand_id = demand(api, buyer)
    r = api.post(f"/demands/{demand_id}/quotes", json={"listing_id": 1, "price_minor": 5,
                 "valid_until": in_days(1)}, headers=buyer.headers)  # fmt: skip
    _error(r, 403, "role_required")
    r = api.post(f"/demands/{demand_id}/quotes", json={})
    assert r.status_code == 401


def test_unknown_fields_are_refused(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    offered = listing(api, supplier, ops)
    r = post_quote(api, supplier, demand(api, buyer), offered["id"], status="accepted")
    _error(r, 422, "invalid_request")


# --- who sees a quote -------------------------------------------------------------------------


def test_only_the_supplier_and_the_demands_owner_see_a_quote(
    api: TestClient, supplier: Party, rival: Party, buyer: Party, ops: Party
) -> None:
    offered = listing(api, supplier, ops)
    demand_id = demand(api, buyer)
    quote = send_quote(api, supplier, demand_id, offered["id"])
    for outsider in (rival, ops):
        _error(api.get(f"/quotes/{quote['id']}", headers=outsider.headers), 404, "quote_not_found")
    assert api.get(f"/quotes/{quote['id']}").status_code == 401
    # a rival supplier lists the demand's quotes: only its own, none here
    page = api.get(f"/demands/{demand_id}/quotes", headers=rival.headers).json()
    assert (page["items"], page["total"]) == ([], 0)
    mine = send_quote(api, rival, demand_id, listing(api, rival, ops)["id"])
    page = api.get(f"/demands/{demand_id}/quotes", headers=rival.headers).json()
    assert [q["id"] for q in page["items"]] == [mine["id"]]
    page = api.get(f"/demands/{demand_id}/quotes", headers=buyer.headers).json()
    assert [q["id"] for q in page["items"]] == [mine["id"], quote["id"]]
    assert page["total"] == 2


# --- accepting --------------------------------------------------------------------------------


def test_accepting_places_the_order_fulfils_the_demand_and_rejects_the_others(
    api: TestClient, supplier: Party, rival: Party, buyer: Party, ops: Party
) -> None:
    offered = listing(api, supplier, ops)
    demand_id = demand(api, buyer)
    winner = send_quote(api, supplier, demand_id, offered["id"])
    loser = send_quote(api, rival, demand_id, listing(api, rival, ops)["id"])
    r = api.post(f"/quotes/{winner['id']}/accept", headers=buyer.headers)
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert accepted["status"] == "accepted"
    order = api.get(f"/orders/{accepted['order_id']}", headers=buyer.headers).json()
    assert (order["listing_id"], order["price_minor"], order["status"]) == (
        offered["id"],
        PRICE,
        "placed",
    )
    assert (order["source"], order["source_id"], order["purpose"]) == (
        "quote",
        winner["id"],
        "research",
    )
    shown = api.get(f"/demands/{demand_id}", headers=buyer.headers).json()
    assert (shown["status"], shown["fulfilled_by_quote_id"]) == ("fulfilled", winner["id"])
    assert api.get(f"/quotes/{loser['id']}", headers=rival.headers).json()["status"] == "rejected"
    # the order names the buyer to the winner; the losing supplier never learns who asked
    won = api.get(f"/quotes/{winner['id']}", headers=supplier.headers).json()
    assert won["buyer_organization_id"] == buyer.organization_id
    lost = api.get(f"/quotes/{loser['id']}", headers=rival.headers).json()
    assert lost["buyer_organization_id"] is None
    kinds = [e["kind"] for e in entries(api, buyer, f"quote:{winner['id']}")]
    assert kinds == ["quote.offered", "quote.accepted"]
    (_, rejected) = entries(api, rival, f"quote:{loser['id']}")
    assert rejected["kind"] == "quote.rejected"
    assert rejected["payload"]["reason"] == "another_accepted"
    assert "quote.accepted" in inbox_kinds(api, supplier)
    assert "quote.rejected" in inbox_kinds(api, rival)


def test_a_second_acceptance_and_acceptance_of_a_rejected_quote_are_refused(
    api: TestClient, supplier: Party, rival: Party, buyer: Party, ops: Party
) -> None:
    demand_id = demand(api, buyer)
    first = send_quote(api, supplier, demand_id, listing(api, supplier, ops)["id"])
    second = send_quote(api, rival, demand_id, listing(api, rival, ops)["id"])
    assert api.post(f"/quotes/{first['id']}/accept", headers=buyer.headers).status_code == 200
    before = _seen(api, buyer, demand_id)
    again = api.post(f"/quotes/{first['id']}/accept", headers=buyer.headers)
    assert _error(again, 409, "quote_state") == (
        "cannot accept a quote that is accepted; it must be offered"
    )
    other = api.post(f"/quotes/{second['id']}/accept", headers=buyer.headers)
    assert _error(other, 409, "quote_state") == (
        "cannot accept a quote that is rejected; it must be offered"
    )
    assert _seen(api, buyer, demand_id) == before
    # and the fulfilled demand takes no more quotes
    r = post_quote(api, rival, demand_id, listing(api, rival, ops)["id"])
    assert r.status_code in {404, 409}, r.text


def test_a_buyer_cannot_accept_or_reject_a_quote_on_someone_elses_demand(
    api: TestClient, supplier: Party, rival: Party, buyer: Party, ops: Party
) -> None:
    demand_id = demand(api, buyer)
    quote = send_quote(api, supplier, demand_id, listing(api, supplier, ops)["id"])
    before = _seen(api, buyer, demand_id)
    for action in ("accept", "reject"):
        r = api.post(f"/quotes/{quote['id']}/{action}", headers=rival.headers)
        _error(r, 404, "quote_not_found")
        r = api.post(f"/quotes/{quote['id']}/{action}", headers=supplier.headers)
        _error(r, 403, "not_demand_owner")
    assert _seen(api, buyer, demand_id) == before


# --- rejecting and withdrawing ----------------------------------------------------------------


def test_the_buyer_rejects_and_the_supplier_withdraws(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    offered = listing(api, supplier, ops)
    demand_id = demand(api, buyer)
    first = send_quote(api, supplier, demand_id, offered["id"])
    second = send_quote(api, supplier, demand_id, offered["id"])
    r = api.post(f"/quotes/{first['id']}/reject", headers=buyer.headers)
    assert r.json()["status"] == "rejected"
    _error(api.post(f"/quotes/{second['id']}/withdraw", headers=buyer.headers), 403,
           "not_quote_supplier")  # fmt: skip
    r = api.post(f"/quotes/{second['id']}/withdraw", headers=supplier.headers)
    assert r.json()["status"] == "withdrawn"
    assert "quote.withdrawn" in inbox_kinds(api, buyer)
    assert "quote.rejected" in inbox_kinds(api, supplier)
    r = api.post(f"/quotes/{second['id']}/accept", headers=buyer.headers)
    assert _error(r, 409, "quote_state") == (
        "cannot accept a quote that is withdrawn; it must be offered"
    )
