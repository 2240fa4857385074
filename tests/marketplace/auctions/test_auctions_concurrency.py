"""Racing requests: concurrent openings on one listing open one auction, concurrent resolutions
write exactly one result, concurrent reveals of one bid record it once, and concurrent commits
by one organisation keep one bid."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import Party
from tests.marketplace.auctions.helpers import (
    Clock,
    auction_body,
    commit,
    exclusive_listing,
    kinds,
    open_auction,
    reveal,
)

RACERS = 8


@pytest.fixture
def auction(api: TestClient, supplier: Party, ops: Party, clock: Clock) -> dict[str, Any]:
    return open_auction(api, supplier, exclusive_listing(api, supplier, ops), clock)


def test_concurrent_openings_on_one_listing_open_one_auction(
    api: TestClient, supplier: Party, ops: Party, clock: Clock
) -> None:
    """Each opening checks that no auction is under way on the listing; without the listing
    locked first, several read "none" at once and each opened one (PostgreSQL)."""
    listing_id = exclusive_listing(api, supplier, ops)
    body = auction_body(listing_id, clock)
    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(
            pool.map(
                lambda _: api.post("/auctions", json=body, headers=supplier.headers), range(RACERS)
            )
        )
    assert sorted(r.status_code for r in answers) == [201] + [409] * (RACERS - 1)
    [opened] = [r.json() for r in answers if r.status_code == 201]
    refusals = {r.json()["message"] for r in answers if r.status_code == 409}
    assert refusals == {f"listing {listing_id} already has auction {opened['id']} under way"}
    everything = api.get("/ledger/entries", params={"limit": 500}).json()["items"]
    assert [e["kind"] for e in everything].count("auction.opened") == 1


def test_concurrent_resolutions_write_exactly_one_result(
    api: TestClient, carol: Party, auction: dict[str, Any], clock: Clock
) -> None:
    aid = auction["id"]
    assert commit(api, carol, aid, 300_000).status_code == 201
    clock.advance(hours=1, minutes=1)
    assert reveal(api, carol, aid, 300_000).status_code == 200
    clock.advance(hours=1)

    def resolve(i: int) -> Any:
        if i % 2:
            return api.get(f"/auctions/{aid}")
        return api.post(f"/auctions/{aid}/resolve")

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(resolve, range(RACERS)))
    assert {r.status_code for r in answers} == {200}
    assert len({str(r.json()["result"]) for r in answers}) == 1
    assert kinds(api, aid).count("auction.resolved") == 1


def test_concurrent_reveals_of_one_bid_record_it_once(
    api: TestClient, carol: Party, auction: dict[str, Any], clock: Clock
) -> None:
    aid = auction["id"]
    assert commit(api, carol, aid, 300_000).status_code == 201
    clock.advance(hours=1, minutes=1)
    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(lambda _: reveal(api, carol, aid, 300_000), range(RACERS)))
    assert sorted(r.status_code for r in answers) == [200] + [409] * (RACERS - 1)
    assert kinds(api, aid).count("auction.bid_revealed") == 1


def test_concurrent_commits_by_one_organisation_keep_one_bid(
    api: TestClient, carol: Party, auction: dict[str, Any]
) -> None:
    aid = auction["id"]
    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(lambda n: commit(api, carol, aid, 300_000 + n, n), range(RACERS)))
    assert sorted(r.status_code for r in answers) == [201] + [409] * (RACERS - 1)
    assert kinds(api, aid).count("auction.bid_committed") == 1
    assert api.get(f"/auctions/{aid}").json()["commitments"] == 1
