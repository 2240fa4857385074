"""The listing lifecycle table, tried pair by pair against a table written out here by hand: every
allowed (state, event) moves the listing to the expected state and names its journal kind; every
other pair is a 409 naming the state the listing is in, and changes nothing. Over HTTP, each of
the supplier's events (pause, resume, withdraw) is tried in every state a supplier can reach:
allowed ones answer the new state and write their entry, refused ones answer the exact message
and leave the listing and the journal as they were."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.listings import lifecycle
from marketplace.listings.errors import ListingStateConflict
from marketplace.listings.lifecycle import ListingEvent
from marketplace.listings.models import Listing, ListingStatus
from tests.marketplace.assets.helpers import Party
from tests.marketplace.listings.helpers import approved, create_listing

#: event → {from: to}
EXPECTED: dict[str, dict[str, str]] = {
    "pause": {"active": "paused"},
    "resume": {"paused": "active"},
    "withdraw": {"active": "withdrawn", "paused": "withdrawn"},
    "close": {"active": "closed", "paused": "closed"},
}
KINDS = {
    "pause": "listing.paused",
    "resume": "listing.resumed",
    "withdraw": "listing.withdrawn",
    "close": "listing.closed",
}

PAIRS = list(itertools.product(ListingStatus, ListingEvent))
ALLOWED = [(s, e) for s, e in PAIRS if s.value in EXPECTED[e.value]]
REFUSED = [(s, e) for s, e in PAIRS if s.value not in EXPECTED[e.value]]


def test_the_table_is_the_one_written_out_here() -> None:
    table: dict[str, dict[str, str]] = {e.value: {} for e in ListingEvent}
    for (state, event), t in lifecycle.TRANSITIONS.items():
        table[event.value][state.value] = t.target.value
        assert t.kind == KINDS[event.value]
    assert table == EXPECTED
    assert ListingStatus.active == lifecycle.INITIAL
    assert lifecycle.CREATED_KIND == "listing.created"


@pytest.mark.parametrize(("state", "event"), ALLOWED, ids=[f"{s}-{e}" for s, e in ALLOWED])
def test_an_allowed_pair_moves_to_the_expected_state_with_its_journal_kind(
    state: ListingStatus, event: ListingEvent
) -> None:
    listing = Listing(status=state)
    transition = lifecycle.apply(listing, event)
    assert listing.status == EXPECTED[event.value][state.value]
    assert transition.kind == KINDS[event.value]


@pytest.mark.parametrize(("state", "event"), REFUSED, ids=[f"{s}-{e}" for s, e in REFUSED])
def test_a_refused_pair_is_a_409_naming_the_state_and_changes_nothing(
    state: ListingStatus, event: ListingEvent
) -> None:
    listing = Listing(status=state)
    with pytest.raises(ListingStateConflict) as raised:
        lifecycle.apply(listing, event)
    assert raised.value.status == 409
    needs = " or ".join(s for s, _ in sorted(EXPECTED[event.value].items()))
    assert str(raised.value) == (
        f"cannot {event.value} a listing that is {state.value}; it must be {needs}"
    )
    assert listing.status == state


# --- over HTTP -------------------------------------------------------------------------------

#: How a supplier brings a new listing to each state it can reach.
REACH: dict[str, list[str]] = {
    "active": [],
    "paused": ["pause"],
    "withdrawn": ["withdraw"],
}
HTTP_EVENTS = ("pause", "resume", "withdraw")


def _entries(api: TestClient, listing_id: int) -> list[dict[str, Any]]:
    r = api.get("/ledger/entries", params={"subject": f"listing:{listing_id}"})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


@pytest.mark.parametrize("state", list(REACH))
@pytest.mark.parametrize("event", HTTP_EVENTS)
def test_each_supplier_event_in_each_reachable_state(
    api: TestClient, ops: Party, supplier: Party, state: str, event: str
) -> None:
    listing_id = create_listing(api, supplier, approved(api, supplier, ops))["id"]
    for step in REACH[state]:
        assert api.post(f"/listings/{listing_id}/{step}", headers=supplier.headers).is_success
    before = (api.get(f"/listings/{listing_id}").json(), _entries(api, listing_id))

    r = api.post(f"/listings/{listing_id}/{event}", headers=supplier.headers)

    target = EXPECTED[event].get(state)
    if target is None:
        assert r.status_code == 409, r.text
        needs = " or ".join(sorted(EXPECTED[event]))
        assert r.json() == {
            "error": "listing_state",
            "message": f"cannot {event} a listing that is {state}; it must be {needs}",
        }
        assert (api.get(f"/listings/{listing_id}").json(), _entries(api, listing_id)) == before
    else:
        assert r.status_code == 200, r.text
        assert r.json()["status"] == target
        entries = _entries(api, listing_id)
        assert len(entries) == len(before[1]) + 1
        newest = max(entries, key=lambda e: e["seq"])
        assert newest["kind"] == KINDS[event]
        assert newest["payload"]["status"] == target
