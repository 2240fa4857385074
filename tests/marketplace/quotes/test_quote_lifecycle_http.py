"""The quote lifecycle over HTTP, generated from the table: every event a route makes
(accept, reject, withdraw) tried in every state it is refused in answers 409 with the exact
message and changes nothing; and time: a quote whose validity has ended can never be accepted,
and the first read records its expiry, once."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.models import utc_now
from marketplace.identity.signing import ZERO_ADDRESS
from marketplace.quotes import lifecycle
from marketplace.quotes.lifecycle import QuoteEvent
from marketplace.quotes.models import QuoteStatus
from tests.marketplace.assets.helpers import Party
from tests.marketplace.quotes.helpers import demand, entries, in_days, listing, send_quote

#: The events a route makes, and who makes them.
ROUTED = {QuoteEvent.accept: "buyer", QuoteEvent.reject: "buyer", QuoteEvent.withdraw: "supplier"}
REFUSED = [
    (state, event)
    for state, event in itertools.product(QuoteStatus, ROUTED)
    if not lifecycle.allowed(state, event)
]


def _later(monkeypatch: pytest.MonkeyPatch, delta: timedelta) -> None:
    """The quote routes' clock, ``delta`` ahead."""
    moment: datetime = utc_now() + delta
    monkeypatch.setattr("marketplace.quotes.endpoints.utc_now", lambda: moment)


def _in_state(
    api: TestClient,
    *,
    supplier: Party,
    buyer: Party,
    ops: Party,
    state: QuoteStatus,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    quote = send_quote(api, supplier, demand(api, buyer), listing(api, supplier, ops)["id"],
                       valid_until=in_days(1))  # fmt: skip
    by = {"buyer": buyer, "supplier": supplier}
    route = {
        QuoteStatus.accepted: ("accept", "buyer"),
        QuoteStatus.rejected: ("reject", "buyer"),
        QuoteStatus.withdrawn: ("withdraw", "supplier"),
    }
    if state in route:
        action, who = route[state]
        r = api.post(f"/quotes/{quote['id']}/{action}", headers=by[who].headers)
        assert r.status_code == 200, r.text
    elif state == QuoteStatus.expired:
        _later(monkeypatch, timedelta(days=2))
        assert api.get(f"/quotes/{quote['id']}", headers=buyer.headers).json()["status"] == state
    return quote


@pytest.mark.parametrize(("state", "event"), REFUSED, ids=[f"{s}-{e}" for s, e in REFUSED])
def test_an_event_refused_over_http_is_a_409_with_the_exact_message_and_changes_nothing(
    api: TestClient,
    *,
    supplier: Party,
    buyer: Party,
    ops: Party,
    monkeypatch: pytest.MonkeyPatch,
    state: QuoteStatus,
    event: QuoteEvent,
) -> None:
    quote = _in_state(
        api, supplier=supplier, buyer=buyer, ops=ops, state=state, monkeypatch=monkeypatch
    )
    caller = {"buyer": buyer, "supplier": supplier}[ROUTED[event]]
    subject = f"quote:{quote['id']}"
    before = (api.get(f"/quotes/{quote['id']}", headers=buyer.headers).json(),
              entries(api, buyer, subject))  # fmt: skip
    r = api.post(f"/quotes/{quote['id']}/{event.value}", headers=caller.headers)
    assert r.status_code == 409, r.text
    assert r.json() == {
        "error": "quote_state",
        "message": f"cannot {event.value} a quote that is {state.value}; it must be offered",
    }
    after = (api.get(f"/quotes/{quote['id']}", headers=buyer.headers).json(),
             entries(api, buyer, subject))  # fmt: skip
    assert after == before


@pytest.mark.parametrize("event", list(ROUTED))
def test_a_lapsed_quote_can_never_be_acted_on(
    api: TestClient,
    *,
    supplier: Party,
    buyer: Party,
    ops: Party,
    monkeypatch: pytest.MonkeyPatch,
    event: QuoteEvent,
) -> None:
    quote = send_quote(api, supplier, demand(api, buyer), listing(api, supplier, ops)["id"],
                       valid_until=in_days(1))  # fmt: skip
    _later(monkeypatch, timedelta(days=1, seconds=1))
    caller = {"buyer": buyer, "supplier": supplier}[ROUTED[event]]
    r = api.post(f"/quotes/{quote['id']}/{event.value}", headers=caller.headers)
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "quote_expired"
    assert r.json()["message"].startswith(f"quote {quote['id']} expired at ")
    assert [e["kind"] for e in entries(api, buyer, f"quote:{quote['id']}")] == ["quote.offered"]


def test_the_first_read_records_the_expiry_once(
    api: TestClient, supplier: Party, buyer: Party, ops: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    demand_id = demand(api, buyer)
    quote = send_quote(api, supplier, demand_id, listing(api, supplier, ops)["id"],
                       valid_until=in_days(1))  # fmt: skip
    assert api.get(f"/quotes/{quote['id']}", headers=buyer.headers).json()["status"] == "offered"
    _later(monkeypatch, timedelta(days=1))  # valid_until itself: no longer valid
    page = api.get(f"/demands/{demand_id}/quotes", headers=buyer.headers).json()
    assert [q["status"] for q in page["items"]] == ["expired"]
    shown = api.get(f"/quotes/{quote['id']}", headers=supplier.headers).json()
    assert shown["status"] == "expired"
    offered, expired = entries(api, buyer, f"quote:{quote['id']}")
    assert (offered["kind"], expired["kind"]) == ("quote.offered", "quote.expired")
    assert expired["actor"] == ZERO_ADDRESS
    assert shown["decision_seq"] == expired["seq"]
