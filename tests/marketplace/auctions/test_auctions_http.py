"""Sealed-bid auctions over HTTP, as suppliers, bidders and anyone else see them; the outcome
recomputed from the journal alone, as a bidder would."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.auctions import vickrey
from tests.marketplace.assets.helpers import Party
from tests.marketplace.auctions.helpers import (
    RESERVE,
    Clock,
    auction_body,
    commit,
    entries,
    exclusive_listing,
    kinds,
    open_auction,
    reveal,
)


@pytest.fixture
def listing(api: TestClient, supplier: Party, ops: Party) -> int:
    return exclusive_listing(api, supplier, ops)


@pytest.fixture
def auction(api: TestClient, supplier: Party, listing: int, clock: Clock) -> dict[str, Any]:
    return open_auction(api, supplier, listing, clock)


def _to_reveals(clock: Clock) -> None:
    clock.advance(hours=1, minutes=1)


def _past_reveals(clock: Clock) -> None:
    clock.advance(hours=2, minutes=2)


def _from_ledger(api: TestClient, auction_id: int) -> tuple[vickrey.Outcome, dict[str, Any]]:
    """The outcome a bidder computes from the journal alone: the opening's rules, every
    commitment and every reveal; and the recorded ``auction.resolved`` payload."""
    found = entries(api, auction_id)
    opened = next(e["payload"] for e in found if e["kind"] == "auction.opened")
    rules = vickrey.Rules(
        auction_id=auction_id,
        reserve_minor=int(opened["reserve_minor"]),
        commit_deadline=datetime.fromisoformat(opened["commit_deadline"]),
        reveal_deadline=datetime.fromisoformat(opened["reveal_deadline"]),
    )
    reveals = {
        e["payload"]["bid_id"]: vickrey.Reveal(
            int(e["payload"]["amount_minor"]),
            e["payload"]["salt"],
            datetime.fromisoformat(e["payload"]["revealed_at"]),
        )
        for e in found
        if e["kind"] == "auction.bid_revealed"
    }
    bids = [
        vickrey.SealedBid(
            e["payload"]["bid_id"],
            e["seq"],
            e["payload"]["bidder"],
            e["payload"]["commitment"],
            reveals.get(e["payload"]["bid_id"]),
        )
        for e in found
        if e["kind"] == "auction.bid_committed"
    ]
    resolved = [e["payload"] for e in found if e["kind"] == "auction.resolved"]
    assert len(resolved) == 1
    return vickrey.resolve(rules, bids), resolved[0]


def test_opening_an_auction_journals_it_and_anyone_reads_it(
    api: TestClient, supplier: Party, listing: int, clock: Clock
) -> None:
    auction = open_auction(api, supplier, listing, clock)
    assert auction["status"] == "committing"
    assert auction["reserve_minor"] == RESERVE
    assert auction["deposit_minor"] == 5_000  # 500 bp of the reserve
    assert auction["commitments"] == 0
    assert auction["result"] is None
    public = api.get(f"/auctions/{auction['id']}")  # no login
    assert public.status_code == 200
    assert public.json()["status"] == "committing"
    (opened,) = entries(api, auction["id"])
    assert opened["kind"] == "auction.opened"
    assert opened["actor"].lower() == supplier.address.lower()
    assert opened["payload"]["reserve_minor"] == str(RESERVE)
    assert opened["payload"]["commitment_scheme"] == (
        "keccak256(abi.encode(uint64,address,uint256,bytes32))"
    )
    listed = api.get("/auctions", params={"listing_id": listing})
    assert [a["id"] for a in listed.json()] == [auction["id"]]


def test_highest_bid_wins_and_pays_the_second_highest_verifiable_from_the_ledger(
    *,
    api: TestClient,
    rival: Party,
    carol: Party,
    dave: Party,
    auction: dict[str, Any],
    clock: Clock,
) -> None:
    aid = auction["id"]
    for who, amount, n in ((rival, 150_000, 1), (carol, 240_000, 2), (dave, 90_000, 3)):
        assert commit(api, who, aid, amount, n).status_code == 201
    shown = api.get(f"/auctions/{aid}").json()
    assert shown["commitments"] == 3
    assert shown["result"] is None
    _to_reveals(clock)
    assert api.get(f"/auctions/{aid}").json()["status"] == "revealing"
    for who, amount, n in ((rival, 150_000, 1), (carol, 240_000, 2), (dave, 90_000, 3)):
        r = reveal(api, who, aid, amount, n)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "revealed"
    _past_reveals(clock)
    r = api.post(f"/auctions/{aid}/resolve")  # anyone may
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert r.json()["status"] == "resolved"
    assert result["outcome"] == "sold"
    assert result["winner_organization_id"] == carol.organization_id
    assert result["price_minor"] == 150_000
    assert [(b["amount_minor"], b["status"], b["verdict"]) for b in result["bids"]] == [
        (240_000, "revealed", "valid"),
        (150_000, "revealed", "valid"),
        (90_000, "rejected", "below_reserve"),
    ]
    order = api.get(f"/orders/{result['order_id']}", headers=carol.headers)
    assert order.status_code == 200, order.text
    assert (order.json()["source"], order.json()["source_id"]) == ("auction", aid)
    assert (order.json()["price_minor"], order.json()["purpose"]) == (150_000, "research")
    assert order.json()["buyer_organization_id"] == carol.organization_id
    assert result["order_refused"] is None
    outcome, recorded = _from_ledger(api, aid)
    assert recorded["order_id"] == result["order_id"]
    assert outcome.winner == recorded["winner_bid_id"] == result["winner_bid_id"]
    assert str(outcome.price_minor) == recorded["price_minor"]
    assert kinds(api, aid) == ["auction.opened"] + ["auction.bid_committed"] * 3 + [
        "auction.bid_revealed"
    ] * 3 + ["auction.resolved"]


def test_tied_bids_the_earliest_commitment_wins_and_pays_the_tied_amount(
    api: TestClient, rival: Party, carol: Party, auction: dict[str, Any], clock: Clock
) -> None:
    aid = auction["id"]
    first = commit(api, carol, aid, 200_000, 1).json()
    assert commit(api, rival, aid, 200_000, 2).status_code == 201
    _to_reveals(clock)
    assert reveal(api, rival, aid, 200_000, 2).status_code == 200  # revealing first: no matter
    assert reveal(api, carol, aid, 200_000, 1).status_code == 200
    _past_reveals(clock)
    result = api.post(f"/auctions/{aid}/resolve").json()["result"]
    assert result["winner_bid_id"] == first["id"]
    assert result["price_minor"] == 200_000


def test_a_single_bid_pays_the_reserve(
    api: TestClient, carol: Party, auction: dict[str, Any], clock: Clock
) -> None:
    aid = auction["id"]
    assert commit(api, carol, aid, 900_000).status_code == 201
    _to_reveals(clock)
    assert reveal(api, carol, aid, 900_000).status_code == 200
    _past_reveals(clock)
    result = api.post(f"/auctions/{aid}/resolve").json()["result"]
    assert (result["winner_organization_id"], result["price_minor"]) == (
        carol.organization_id,
        RESERVE,
    )


def test_a_bid_below_the_reserve_is_no_sale_and_keeps_its_deposit(
    api: TestClient, carol: Party, auction: dict[str, Any], clock: Clock
) -> None:
    aid = auction["id"]
    assert commit(api, carol, aid, RESERVE - 1).status_code == 201
    _to_reveals(clock)
    assert reveal(api, carol, aid, RESERVE - 1).status_code == 200
    _past_reveals(clock)
    body = api.post(f"/auctions/{aid}/resolve").json()
    assert body["status"] == "no_sale"
    assert body["result"]["winner_bid_id"] is None
    assert body["result"]["price_minor"] is None
    (bid,) = body["result"]["bids"]
    assert (bid["status"], bid["deposit_forfeited_minor"]) == ("rejected", 0)


def test_a_reveal_that_does_not_match_its_commit_is_rejected_and_changes_nothing(
    api: TestClient, carol: Party, dave: Party, auction: dict[str, Any], clock: Clock
) -> None:
    aid = auction["id"]
    assert commit(api, carol, aid, 300_000, 1).status_code == 201
    assert commit(api, dave, aid, 200_000, 2).status_code == 201
    _to_reveals(clock)
    before = entries(api, aid)
    for amount, n in ((900_000, 1), (300_000, 9)):
        r = reveal(api, carol, aid, amount, n)
        assert r.status_code == 422
        assert r.json()["error"] == "reveal_mismatch"
        assert "do not open your commitment" in r.json()["message"]
    assert entries(api, aid) == before
    assert api.get(f"/auctions/{aid}/bids/mine", headers=carol.headers).json()["status"] == (
        "committed"
    )
    assert reveal(api, dave, aid, 200_000, 2).status_code == 200
    _past_reveals(clock)
    result = api.post(f"/auctions/{aid}/resolve").json()["result"]
    assert result["winner_organization_id"] == dave.organization_id
    assert result["price_minor"] == RESERVE
    forfeited = [b for b in result["bids"] if b["status"] == "forfeited"]
    assert [(b["organization_id"], b["deposit_forfeited_minor"]) for b in forfeited] == [
        (carol.organization_id, 5_000)
    ]


def test_a_reveal_after_the_reveal_deadline_is_rejected_and_the_bid_forfeits(
    api: TestClient, carol: Party, dave: Party, auction: dict[str, Any], clock: Clock
) -> None:
    aid = auction["id"]
    assert commit(api, carol, aid, 500_000, 1).status_code == 201
    assert commit(api, dave, aid, 200_000, 2).status_code == 201
    _to_reveals(clock)
    assert reveal(api, dave, aid, 200_000, 2).status_code == 200
    clock.advance(hours=1)  # exactly the reveal deadline: too late
    r = reveal(api, carol, aid, 500_000, 1)
    assert r.status_code == 409
    assert "reveal deadline" in r.json()["message"]
    result = api.post(f"/auctions/{aid}/resolve").json()["result"]
    assert result["winner_organization_id"] == dave.organization_id
    late = next(b for b in result["bids"] if b["organization_id"] == carol.organization_id)
    assert (late["status"], late["verdict"], late["amount_minor"]) == (
        "forfeited", "unrevealed", None,
    )  # fmt: skip
    assert late["deposit_forfeited_minor"] == 5_000


def test_a_bid_after_the_commit_deadline_is_rejected(
    api: TestClient, carol: Party, auction: dict[str, Any], clock: Clock
) -> None:
    clock.advance(hours=1)
    r = commit(api, carol, auction["id"], 300_000)
    assert r.status_code == 409
    assert r.json() == {
        "error": "auction_state",
        "message": "cannot commit a bid to an auction that is revealing; bids are taken only "
        "while it is committing (before the commit deadline)",
    }
    assert kinds(api, auction["id"]) == ["auction.opened"]


def test_a_reveal_before_the_commit_deadline_is_refused(
    api: TestClient, carol: Party, auction: dict[str, Any]
) -> None:
    assert commit(api, carol, auction["id"], 300_000).status_code == 201
    r = reveal(api, carol, auction["id"], 300_000)
    assert r.status_code == 409
    assert "auction that is committing" in r.json()["message"]


def test_one_final_commitment_per_organisation(
    api: TestClient, carol: Party, auction: dict[str, Any]
) -> None:
    assert commit(api, carol, auction["id"], 300_000, 1).status_code == 201
    r = commit(api, carol, auction["id"], 400_000, 2)
    assert r.status_code == 409
    assert r.json()["error"] == "already_committed"
    assert api.get(f"/auctions/{auction['id']}").json()["commitments"] == 1


def test_resolving_twice_yields_one_result_and_one_entry_and_a_read_resolves_too(
    api: TestClient, carol: Party, auction: dict[str, Any], clock: Clock
) -> None:
    aid = auction["id"]
    assert commit(api, carol, aid, 300_000).status_code == 201
    _to_reveals(clock)
    assert reveal(api, carol, aid, 300_000).status_code == 200
    early = api.post(f"/auctions/{aid}/resolve")
    assert early.status_code == 409
    assert early.json()["error"] == "not_yet_due"
    _past_reveals(clock)
    read = api.get(f"/auctions/{aid}")  # the read applies the due resolution
    assert read.json()["status"] == "resolved"
    again = api.post(f"/auctions/{aid}/resolve").json()
    assert again == api.post(f"/auctions/{aid}/resolve").json() == read.json()
    assert kinds(api, aid).count("auction.resolved") == 1


def test_an_auction_with_no_bids_ends_without_a_sale(
    api: TestClient, auction: dict[str, Any], clock: Clock
) -> None:
    _past_reveals(clock)
    body = api.get(f"/auctions/{auction['id']}").json()
    assert body["status"] == "no_sale"
    assert body["result"]["bids"] == []


def test_the_supplier_cancels_before_any_bid_but_not_after(
    *, api: TestClient, supplier: Party, rival: Party, carol: Party, listing: int, clock: Clock
) -> None:
    first = open_auction(api, supplier, listing, clock)
    assert api.post(f"/auctions/{first['id']}/cancel", headers=rival.headers).status_code == 403
    r = api.post(f"/auctions/{first['id']}/cancel", headers=supplier.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert kinds(api, first["id"]) == ["auction.opened", "auction.cancelled"]
    second = open_auction(api, supplier, listing, clock)  # the listing is free again
    assert commit(api, carol, second["id"], 300_000).status_code == 201
    r = api.post(f"/auctions/{second['id']}/cancel", headers=supplier.headers)
    assert r.status_code == 409
    assert "bid" in r.json()["message"]


def test_one_auction_at_a_time_per_listing(
    api: TestClient, supplier: Party, listing: int, auction: dict[str, Any], clock: Clock
) -> None:
    r = api.post("/auctions", json=auction_body(listing, clock), headers=supplier.headers)
    assert r.status_code == 409
    assert f"auction {auction['id']}" in r.json()["message"]


# --- the attacker's view -----------------------------------------------------------------


def test_a_supplier_cannot_bid_in_its_own_auction(
    api: TestClient, rival: Party, ops: Party, clock: Clock
) -> None:
    listing = exclusive_listing(api, rival, ops)  # rival supplies and buys
    auction = open_auction(api, rival, listing, clock)
    r = commit(api, rival, auction["id"], 300_000)
    assert r.status_code == 403
    assert r.json()["error"] == "own_auction"


def test_an_unverified_buyer_cannot_bid(
    api: TestClient, unverified: Party, auction: dict[str, Any]
) -> None:
    r = commit(api, unverified, auction["id"], 300_000)
    assert r.status_code == 403
    assert r.json()["error"] == "not_verified"
    assert api.post(f"/auctions/{auction['id']}/bids", json={}).status_code == 401


def test_a_purpose_the_terms_do_not_permit_is_refused(
    api: TestClient, carol: Party, auction: dict[str, Any]
) -> None:
    r = commit(api, carol, auction["id"], 300_000, purpose="ai_training")
    assert 400 <= r.status_code < 500
    assert "ai_training" in r.json()["message"]
    assert api.get(f"/auctions/{auction['id']}").json()["commitments"] == 0


def test_no_auction_of_someone_elses_or_a_non_exclusive_listing(
    *, api: TestClient, supplier: Party, rival: Party, ops: Party, listing: int, clock: Clock
) -> None:
    r = api.post("/auctions", json=auction_body(listing, clock), headers=rival.headers)
    assert r.status_code == 403
    from tests.marketplace.listings.helpers import approved, create_listing

    shared = create_listing(api, supplier, approved(api, supplier, ops))["id"]
    r = api.post("/auctions", json=auction_body(shared, clock), headers=supplier.headers)
    assert r.status_code == 422
    assert r.json()["error"] == "listing_not_auctionable"
    assert "non-exclusive" in r.json()["message"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"reserve_minor": 0},
        {"reserve_minor": -5},
        {"reserve_minor": 2**63},
        {"reserve_minor": 10**40},
        {"reserve_minor": "100000"},
        {"reserve_minor": 1.5},
        {"commit_deadline": "2026-01-01T00:00:00"},
        {"commit_deadline": "not a time"},
        {"listing_id": 0},
        {"listing_id": 2**64},
        {"surprise": True},
    ],
)
def test_hostile_auction_bodies_are_a_422(
    api: TestClient, supplier: Party, listing: int, clock: Clock, overrides: dict[str, Any]
) -> None:
    r = api.post(
        "/auctions", json=auction_body(listing, clock, **overrides), headers=supplier.headers
    )
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"error", "message"}


@pytest.mark.parametrize(
    ("commit_in", "reveal_in"),
    [(-60, 3600), (0, 3600), (3600, 3600), (3600, 3000), (3600, 3600 + 30), (10**9, 10**9 + 3600)],
)
def test_deadlines_out_of_bounds_are_a_422(
    *, api: TestClient, supplier: Party, listing: int, clock: Clock, commit_in: int, reveal_in: int
) -> None:
    body = auction_body(
        listing, clock,
        commit_deadline=(clock.now + timedelta(seconds=commit_in)).isoformat(),
        reveal_deadline=(clock.now + timedelta(seconds=reveal_in)).isoformat(),
    )  # fmt: skip
    r = api.post("/auctions", json=body, headers=supplier.headers)
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(
    "body",
    [
        {"commitment": "0x12", "purpose": "research"},
        {"commitment": "0x" + "zz" * 32, "purpose": "research"},
        {"commitment": "0x" + "ab" * 33, "purpose": "research"},
        {"commitment": ["0x"], "purpose": "research"},
        {"commitment": "0x" + "ab" * 32, "purpose": "x" * 10_000},
        {"commitment": "0x" + "ab" * 32},
        {"commitment": "0x" + "ab" * 32, "purpose": "research", "amount_minor": 5},
    ],
)
def test_hostile_bid_bodies_are_a_422(
    api: TestClient, carol: Party, auction: dict[str, Any], body: dict[str, Any]
) -> None:
    r = api.post(f"/auctions/{auction['id']}/bids", json=body, headers=carol.headers)
    assert r.status_code == 422, r.text
    assert api.get(f"/auctions/{auction['id']}").json()["commitments"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"amount_minor": 0, "salt": "0x" + "00" * 32},
        {"amount_minor": 2**63, "salt": "0x" + "00" * 32},
        {"amount_minor": "5", "salt": "0x" + "00" * 32},
        {"amount_minor": 5, "salt": "0x00"},
        {"amount_minor": 5},
    ],
)
def test_hostile_reveal_bodies_are_a_422(
    api: TestClient, carol: Party, auction: dict[str, Any], clock: Clock, body: dict[str, Any]
) -> None:
    assert commit(api, carol, auction["id"], 300_000).status_code == 201
    _to_reveals(clock)
    r = api.post(f"/auctions/{auction['id']}/reveal", json=body, headers=carol.headers)
    assert r.status_code == 422, r.text


def test_unknown_auctions_and_bids_are_a_404(api: TestClient, carol: Party) -> None:
    assert api.get("/auctions/999").status_code == 404
    assert api.get(f"/auctions/{2**63}").status_code == 422
    assert commit(api, carol, 999, 5).status_code == 404
    assert api.post("/auctions/999/resolve").status_code == 404


def test_revealing_without_a_bid_is_a_404(
    api: TestClient, carol: Party, auction: dict[str, Any], clock: Clock
) -> None:
    _to_reveals(clock)
    r = reveal(api, carol, auction["id"], 5)
    assert r.status_code == 404
    assert r.json()["error"] == "bid_not_found"


def test_a_copied_commitment_cannot_be_revealed_by_the_copier(
    api: TestClient, carol: Party, dave: Party, auction: dict[str, Any], clock: Clock
) -> None:
    aid = auction["id"]
    assert commit(api, carol, aid, 300_000, 1).status_code == 201
    copied = next(e for e in entries(api, aid) if e["kind"] == "auction.bid_committed")
    body = {"commitment": copied["payload"]["commitment"], "purpose": "research"}
    assert api.post(f"/auctions/{aid}/bids", json=body, headers=dave.headers).status_code == 201
    _to_reveals(clock)
    assert reveal(api, carol, aid, 300_000, 1).status_code == 200
    r = reveal(api, dave, aid, 300_000, 1)  # carol's amount and salt, now public
    assert r.status_code == 422
    assert r.json()["error"] == "reveal_mismatch"


def test_when_orders_refuses_the_winners_order_the_auction_is_resolved_and_says_why(
    *, api: TestClient, supplier: Party, carol: Party, listing: int, clock: Clock
) -> None:
    auction = open_auction(api, supplier, listing, clock)
    aid = auction["id"]
    assert commit(api, carol, aid, 300_000).status_code == 201
    _to_reveals(clock)
    assert reveal(api, carol, aid, 300_000).status_code == 200
    withdrawn = api.post(f"/listings/{listing}/withdraw", headers=supplier.headers)
    assert withdrawn.status_code == 200, withdrawn.text
    _past_reveals(clock)
    body = api.post(f"/auctions/{aid}/resolve").json()
    assert body["status"] == "resolved"
    result = body["result"]
    assert (result["winner_organization_id"], result["price_minor"]) == (
        carol.organization_id,
        RESERVE,
    )
    assert result["order_id"] is None
    assert "withdrawn" in result["order_refused"]
    assert api.get("/orders", headers=carol.headers).json()["items"] == []
    assert kinds(api, aid).count("auction.resolved") == 1
    (resolved,) = [e for e in entries(api, aid) if e["kind"] == "auction.resolved"]
    assert resolved["payload"]["order_refused"] == result["order_refused"]


def test_a_winner_suspended_before_resolution_gets_no_order_and_the_entry_says_so(
    *, api: TestClient, supplier: Party, carol: Party, ops: Party, listing: int, clock: Clock
) -> None:
    auction = open_auction(api, supplier, listing, clock)
    aid = auction["id"]
    assert commit(api, carol, aid, 300_000).status_code == 201
    _to_reveals(clock)
    assert reveal(api, carol, aid, 300_000).status_code == 200
    suspended = api.post(
        f"/organizations/{carol.organization_id}/suspend",
        json={"reason": "card fraud under investigation"},
        headers=ops.headers,
    )
    assert suspended.status_code == 200, suspended.text
    _past_reveals(clock)
    result = api.post(f"/auctions/{aid}/resolve").json()["result"]
    assert (result["winner_organization_id"], result["order_id"]) == (carol.organization_id, None)
    refused = result["order_refused"]
    assert refused.startswith("the winning organisation is suspended"), refused
    (resolved,) = [e for e in entries(api, aid) if e["kind"] == "auction.resolved"]
    assert resolved["payload"]["order_refused"] == refused


def test_a_paused_listing_refuses_new_bids_keeps_committed_ones_and_takes_bids_once_resumed(
    *, api: TestClient, supplier: Party, carol: Party, dave: Party, listing: int, clock: Clock
) -> None:
    aid = open_auction(api, supplier, listing, clock)["id"]
    assert commit(api, carol, aid, 300_000).status_code == 201
    assert api.post(f"/listings/{listing}/pause", headers=supplier.headers).status_code == 200
    refused = commit(api, dave, aid, 200_000)
    assert (refused.status_code, refused.json()["error"]) == (409, "not_purchasable")
    assert refused.json()["message"] == f"listing {listing} is paused; it cannot be bought now"
    shown = api.get(f"/auctions/{aid}").json()
    assert (shown["status"], shown["commitments"]) == ("committing", 1)
    assert kinds(api, aid).count("auction.bid_committed") == 1
    assert api.post(f"/listings/{listing}/resume", headers=supplier.headers).status_code == 200
    assert commit(api, dave, aid, 200_000).status_code == 201
    _to_reveals(clock)
    assert reveal(api, carol, aid, 300_000).status_code == 200
