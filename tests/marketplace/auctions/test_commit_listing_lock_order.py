"""A sealed bid committed while the auction's listing is paused: one waits for the other, and a
bid is never committed after the journal says its listing stopped selling. The pause locks the
listing (``FOR NO KEY UPDATE``), then the journal head; the commit locks the auction's row, then
share-locks the listing and its asset (``FOR SHARE``), then takes the head. The commit used to
read the listing without a lock: on PostgreSQL a bid sent while a pause was under way found the
listing active and was committed right after the pause, on a listing no longer for sale.

Each test holds one side (patched, in this process where the server runs) once it has written
its journal entry, holding its row locks and the head, until the other is seen waiting for it
(``pg_blocking_pids``), so that the interleaving is the same every run. On SQLite every
transaction takes the one write lock first: the second waits for the first to commit."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.auctions import repository
from marketplace.auctions.commitment import commitment
from marketplace.auctions.endpoints import current_time
from marketplace.listings.service import changes
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.auctions.helpers import (
    PURPOSE,
    Clock,
    commit,
    entries,
    exclusive_listing,
    kinds,
    open_auction,
    salt,
)
from tests.marketplace.identity.helpers import serve
from tests.marketplace.lock_race import Held, statement_waiting_for, waits_in

BID_MINOR = 300_000


def _locks_listing(statement: str | None, mode: str) -> bool:
    """Whether ``statement`` locks a listing in ``mode`` (None, on SQLite, has nothing to show)."""
    return waits_in(statement, f"FROM listing WHERE listing.id = $1::BIGINT {mode}")


@contextmanager
def _clients(runtime: Runtime, clock: Clock) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    app = create_app(runtime=runtime)
    app.dependency_overrides[current_time] = clock.read
    with (
        serve(app) as url,
        httpx.Client(base_url=url, timeout=60) as first,
        httpx.Client(base_url=url, timeout=60) as second,
    ):
        yield first, second


def _commit(http: httpx.Client, who: Party, auction_id: int) -> httpx.Response:
    body = {
        "commitment": commitment(auction_id, who.address, BID_MINOR, salt(1)),
        "purpose": PURPOSE,
    }
    return http.post(f"/auctions/{auction_id}/bids", json=body, headers=who.headers)


def _pause(http: httpx.Client, supplier: Party, listing_id: int) -> httpx.Response:
    return http.post(f"/listings/{listing_id}/pause", headers=supplier.headers)


def _listing_entries(api: TestClient, listing_id: int) -> list[tuple[int, str]]:
    r = api.get("/ledger/entries", params={"subject": f"listing:{listing_id}"})
    return [(e["seq"], e["kind"]) for e in r.json()["items"]]


def _nothing_held(api: TestClient, who: Party) -> None:
    statement = api.get("/books/statement", headers=who.headers).json()
    assert (statement["held_minor"], statement["lines"]) == (0, [])


def test_a_bid_sent_while_its_listing_is_paused_waits_and_is_refused(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, carol: Party,
    dave: Party, clock: Clock, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    listing_id = exclusive_listing(api, supplier, ops)
    aid = open_auction(api, supplier, listing_id, clock)["id"]
    pause = Held(monkeypatch, changes, "journal_listing")  # listing.paused written, uncommitted

    with _clients(asset_runtime, clock) as (one, two), ThreadPoolExecutor(2) as pool:
        pausing = pool.submit(_pause, one, supplier, listing_id)
        assert pause.holds.wait(30)
        bidding = pool.submit(_commit, two, carol, aid)
        waiting = statement_waiting_for(asset_runtime.engine, pause)
        paused, refused = pausing.result(60), bidding.result(60)

    assert paused.status_code == 200, paused.text
    # The same refusal as a bid sent once the pause is committed.
    after = commit(api, dave, aid, BID_MINOR)
    assert refused.status_code == after.status_code == 409, refused.text
    # PostgreSQL: the bid waited for the paused listing's row itself.
    assert _locks_listing(waiting, "FOR SHARE"), waiting
    assert refused.json()["error"] == after.json()["error"] == "not_purchasable"
    assert refused.json()["message"] == after.json()["message"]
    assert f"listing {listing_id} is paused" in refused.json()["message"]
    assert "auction.bid_committed" not in kinds(api, aid)
    assert api.get(f"/auctions/{aid}").json()["commitments"] == 0
    assert api.get(f"/auctions/{aid}/bids/mine", headers=carol.headers).status_code == 404
    _nothing_held(api, carol)


def test_a_pause_sent_while_a_bid_is_committed_waits_for_the_bid(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, carol: Party,
    dave: Party, clock: Clock, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    listing_id = exclusive_listing(api, supplier, ops)
    aid = open_auction(api, supplier, listing_id, clock)["id"]
    bid = Held(monkeypatch, repository, "save")  # auction.bid_committed written, uncommitted

    with _clients(asset_runtime, clock) as (one, two), ThreadPoolExecutor(2) as pool:
        bidding = pool.submit(_commit, one, carol, aid)
        assert bid.holds.wait(30)
        pausing = pool.submit(_pause, two, supplier, listing_id)
        waiting = statement_waiting_for(asset_runtime.engine, bid)
        committed, paused = bidding.result(60), pausing.result(60)

    # PostgreSQL: the pause waited for the listing the bid holds.
    assert _locks_listing(waiting, "FOR NO KEY UPDATE"), waiting
    assert committed.status_code == 201, committed.text
    assert paused.status_code == 200, paused.text
    (bid_seq,) = [e["seq"] for e in entries(api, aid) if e["kind"] == "auction.bid_committed"]
    paused_seq, last_kind = _listing_entries(api, listing_id)[-1]
    assert last_kind == "listing.paused"
    assert bid_seq < paused_seq
    assert api.get(f"/auctions/{aid}").json()["commitments"] == 1
    # The bid stands; the paused listing takes no further bid.
    later = commit(api, dave, aid, BID_MINOR)
    assert (later.status_code, later.json()["error"]) == (409, "not_purchasable")
