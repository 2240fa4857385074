"""A purchase, a sealed bid or a quote's acceptance racing the suspension of the listing's
supplier, or of the buyer: one waits for the other, and nothing is bought from or by an
organisation after the journal says it was suspended. The suspension locks the organisation's
row (``FOR NO KEY UPDATE``), inserts its suspension, then writes ``organization.suspended`` (the
journal head); a sale (``listings.service.held_for_sale``) share-locks the supplier's
organisation, then the listing and its asset, and only then reads the suspension. A sale used to
read the suspension without a lock: on PostgreSQL an order sent while a suspension was under way
found the supplier not suspended, waited only for the journal head, and was placed right after
``organization.suspended`` (a bid committed likewise; an acceptance read the suspension again
once it held the head, and was refused, but only by that second read). The buyer's side
likewise: a request by a buyer being suspended had passed the token check (one unlocked read),
and its order or bid was placed after ``organization.suspended``; a sale share-locks the buyer's
organisation with the supplier's, in one statement, and reads both suspensions after.

Each test holds one side (patched, in this process where the server runs) at a point where it
holds its locks, until the other is seen waiting for it (``pg_blocking_pids``), so that the
interleaving is the same every run. On SQLite every transaction takes the one write lock first:
the second waits for the first to commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from marketplace.auctions.commitment import commitment
from marketplace.listings import service as listings
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party, party, verify
from tests.marketplace.auctions.helpers import Clock, exclusive_listing, open_auction, salt
from tests.marketplace.identity.suspension_race import (
    refused_as_suspended_buyer,
    seqs,
    suspend,
    suspension_journaled,
)
from tests.marketplace.lock_race import Held, race, waits_in
from tests.marketplace.orders.helpers import PRICE_MINOR, keyed, on_sale
from tests.marketplace.orders.money import balance, fund
from tests.marketplace.quotes.helpers import demand, send_quote

BID_MINOR = 300_000
#: The statement each side waits in, on PostgreSQL: the sale for the supplier's row (found
#: through its listing), the suspension for the organisation's row a sale holds.
SALE_WAITS = (
    "FROM organization WHERE organization.id IN ($1::BIGINT, (SELECT "
    "listing.supplier_organization_id FROM listing WHERE listing.id = $2::BIGINT)) FOR SHARE"
)
SUSPENSION_WAITS = "FROM organization WHERE organization.id = $1::BIGINT FOR NO KEY UPDATE"


def _purchase(who: Party, listing_id: int) -> Callable[[Any], Any]:
    """A purchase of the listing, sent through a served client or the test client alike."""
    body = {"listing_id": listing_id, "purpose": "research"}
    return lambda http: http.post("/orders/purchase", json=body, headers=keyed(who.headers))


def _refused_as_after(refused: httpx.Response, after: Any) -> None:
    """``refused`` is the refusal a request sent once the suspension was committed gets."""
    assert refused.status_code == after.status_code == 409, refused.text
    assert refused.json()["error"] == after.json()["error"] == "supplier_suspended"
    assert refused.json()["message"] == after.json()["message"]


@pytest.fixture
def buyer(api: TestClient, ops: Party) -> Party:
    who = party(api, "carol@buyer.test", "Carol Analytics", ["buyer"])
    verify(api, ops, who)
    return who


def test_a_purchase_sent_while_its_supplier_is_suspended_waits_and_is_refused(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    engine = asset_runtime.engine
    fund(engine, buyer.organization_id, 2 * PRICE_MINOR)
    listing_id = on_sale(api, supplier, ops)["id"]
    suspension = suspension_journaled(monkeypatch)

    suspended, refused, waiting = race(
        asset_runtime, suspension, suspend(supplier, ops), _purchase(buyer, listing_id)
    )

    assert suspended.status_code == 200, suspended.text
    _refused_as_after(refused, _purchase(buyer, listing_id)(api))
    # PostgreSQL: the purchase waited for the suspended organisation's row itself.
    assert waits_in(waiting, SALE_WAITS), waiting
    assert seqs(api, "order.placed") == []
    assert api.get("/orders", headers=buyer.headers).json()["items"] == []
    assert balance(engine, buyer.organization_id) == (2 * PRICE_MINOR, 0)  # nothing held


def test_a_suspension_sent_while_a_purchase_holds_its_listing_waits_for_the_order(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    engine = asset_runtime.engine
    fund(engine, buyer.organization_id, 2 * PRICE_MINOR)
    listing_id = on_sale(api, supplier, ops)["id"]
    # The purchase, held once it has found the listing for sale, before it writes anything.
    purchase = Held(monkeypatch, listings, "held_for_sale")

    bought, suspended, waiting = race(
        asset_runtime, purchase, _purchase(buyer, listing_id), suspend(supplier, ops)
    )

    # PostgreSQL: the suspension waited for the organisation's row the purchase share-locks.
    assert waits_in(waiting, SUSPENSION_WAITS), waiting
    assert bought.status_code == 201, bought.text
    assert suspended.status_code == 200, suspended.text
    (placed,) = seqs(api, "order.placed")
    (suspension_seq,) = seqs(api, "organization.suspended")
    assert placed < suspension_seq
    assert balance(engine, buyer.organization_id) == (PRICE_MINOR, PRICE_MINOR)
    # The order stands; the suspended supplier's listing sells no more.
    later = _purchase(buyer, listing_id)(api)
    assert (later.status_code, later.json()["error"]) == (409, "supplier_suspended")


def test_a_bid_sent_while_its_supplier_is_suspended_waits_and_is_refused(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, rival: Party,
    ops: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    aid = open_auction(api, supplier, exclusive_listing(api, supplier, ops), Clock())["id"]
    suspension = suspension_journaled(monkeypatch)

    def bid(who: Party) -> Callable[[Any], Any]:
        body = {
            "commitment": commitment(aid, who.address, BID_MINOR, salt(1)),
            "purpose": "research",
        }
        return lambda http: http.post(f"/auctions/{aid}/bids", json=body, headers=who.headers)

    suspended, refused, waiting = race(
        asset_runtime, suspension, suspend(supplier, ops), bid(buyer)
    )

    assert suspended.status_code == 200, suspended.text
    _refused_as_after(refused, bid(rival)(api))
    assert waits_in(waiting, SALE_WAITS), waiting
    assert seqs(api, "auction.bid_committed") == []
    assert api.get(f"/auctions/{aid}").json()["commitments"] == 0
    assert api.get(f"/auctions/{aid}/bids/mine", headers=buyer.headers).status_code == 404


def test_a_quote_accepted_while_its_supplier_is_suspended_waits_and_is_refused(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    demand_id = demand(api, buyer)
    quote = send_quote(api, supplier, demand_id, on_sale(api, supplier, ops)["id"])
    suspension = suspension_journaled(monkeypatch)

    def accept(http: Any) -> Any:
        return http.post(f"/quotes/{quote['id']}/accept", headers=buyer.headers)

    suspended, refused, waiting = race(asset_runtime, suspension, suspend(supplier, ops), accept)

    assert suspended.status_code == 200, suspended.text
    _refused_as_after(refused, accept(api))
    # PostgreSQL: the acceptance waited for the organisation's row, not only for the head.
    assert waits_in(waiting, SALE_WAITS), waiting
    shown = api.get(f"/quotes/{quote['id']}", headers=buyer.headers).json()
    assert (shown["status"], shown["order_id"]) == ("offered", None)
    assert api.get(f"/demands/{demand_id}", headers=buyer.headers).json()["status"] == "open"
    assert seqs(api, "order.placed") == []
    assert seqs(api, "demand.fulfilled") == []


# The buyer's side: the request passed the token check before the suspension committed.


def test_a_purchase_sent_while_its_buyer_is_suspended_waits_and_is_refused(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    engine = asset_runtime.engine
    fund(engine, buyer.organization_id, 2 * PRICE_MINOR)
    listing_id = on_sale(api, supplier, ops)["id"]
    suspension = suspension_journaled(monkeypatch)

    suspended, refused, waiting = race(
        asset_runtime, suspension, suspend(buyer, ops), _purchase(buyer, listing_id)
    )

    assert suspended.status_code == 200, suspended.text
    refused_as_suspended_buyer(refused, _purchase(buyer, listing_id)(api))
    # PostgreSQL: the purchase had passed the token check and waited for the buyer's row.
    assert waits_in(waiting, SALE_WAITS), waiting
    assert seqs(api, "order.placed") == []
    assert seqs(api, "escrow.held") == []
    assert balance(engine, buyer.organization_id) == (2 * PRICE_MINOR, 0)  # nothing held
    assert api.get("/orders", headers=supplier.headers).json()["items"] == []


def test_a_buyers_suspension_sent_while_its_purchase_holds_the_listing_waits_for_the_order(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    engine = asset_runtime.engine
    fund(engine, buyer.organization_id, 2 * PRICE_MINOR)
    listing_id = on_sale(api, supplier, ops)["id"]
    purchase = Held(monkeypatch, listings, "held_for_sale")

    bought, suspended, waiting = race(
        asset_runtime, purchase, _purchase(buyer, listing_id), suspend(buyer, ops)
    )

    # PostgreSQL: the suspension waited for the buyer's row the purchase share-locks.
    assert waits_in(waiting, SUSPENSION_WAITS), waiting
    assert bought.status_code == 201, bought.text
    assert suspended.status_code == 200, suspended.text
    (placed,) = seqs(api, "order.placed")
    (suspension_seq,) = seqs(api, "organization.suspended")
    assert placed < suspension_seq
    assert balance(engine, buyer.organization_id) == (PRICE_MINOR, PRICE_MINOR)


def test_a_bid_sent_while_its_bidder_is_suspended_waits_and_is_refused(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    aid = open_auction(api, supplier, exclusive_listing(api, supplier, ops), Clock())["id"]
    suspension = suspension_journaled(monkeypatch)
    body = {
        "commitment": commitment(aid, buyer.address, BID_MINOR, salt(1)),
        "purpose": "research",
    }

    def bid(http: Any) -> Any:
        return http.post(f"/auctions/{aid}/bids", json=body, headers=buyer.headers)

    suspended, refused, waiting = race(asset_runtime, suspension, suspend(buyer, ops), bid)

    assert suspended.status_code == 200, suspended.text
    refused_as_suspended_buyer(refused, bid(api))
    assert waits_in(waiting, SALE_WAITS), waiting
    assert seqs(api, "auction.bid_committed") == []
    assert api.get(f"/auctions/{aid}").json()["commitments"] == 0


def test_a_quote_accepted_while_its_buyer_is_suspended_waits_and_is_refused(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    demand_id = demand(api, buyer)
    quote = send_quote(api, supplier, demand_id, on_sale(api, supplier, ops)["id"])
    suspension = suspension_journaled(monkeypatch)

    def accept(http: Any) -> Any:
        return http.post(f"/quotes/{quote['id']}/accept", headers=buyer.headers)

    suspended, refused, waiting = race(asset_runtime, suspension, suspend(buyer, ops), accept)

    assert suspended.status_code == 200, suspended.text
    refused_as_suspended_buyer(refused, accept(api))
    # PostgreSQL: the acceptance waited in the sale's lock, holding the demand and its quotes.
    assert waits_in(waiting, SALE_WAITS), waiting
    shown = api.get(f"/quotes/{quote['id']}", headers=supplier.headers).json()
    assert (shown["status"], shown["order_id"]) == ("offered", None)
    assert seqs(api, "order.placed") == []
    assert seqs(api, "demand.fulfilled") == []
    assert seqs(api, "quote.accepted") == []
