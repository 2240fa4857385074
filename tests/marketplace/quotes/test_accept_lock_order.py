"""A quote accepted while a row it needs is changed: one waits for the other, never in a cycle.
A quote's withdrawal (or rejection, or expiry) locks the quote, then the journal head; a
listing's pause locks the listing, then the head. The acceptance used to lock the demand and
write ``demand.fulfilled`` (the head) before it locked the quote, the demand's other offered
quotes and (placing the order) the listing, so each of these deadlocked with it on PostgreSQL
and one was aborted: a 503 to the buyer or to the supplier.

The acceptance is held (patched, in this process where the server runs) once it holds the
journal head, right after ``demand.fulfilled``, for at most ``HOLD_S``, while the other request
is sent, so that the interleaving is the same every run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.listings.service import changes
from marketplace.quotes import repository
from marketplace.quotes.service import peers
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.identity.helpers import serve
from tests.marketplace.quotes.helpers import demand, listing, send_quote

#: How long the acceptance waits, holding the journal head, for the other side to lock its row.
HOLD_S = 2.0


def _accept_while(
    api: TestClient,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    *,
    buyer: Party,
    quote_id: int,
    signalled: tuple[Any, str],
    other: Callable[[], httpx.Response],
) -> tuple[httpx.Response, httpx.Response]:
    """Accept ``quote_id`` on a real server, held with the head while ``other`` is sent;
    ``signalled`` (module, function) is the lock whose return says the other side holds its row.
    (the acceptance's answer, the other's)."""
    accept_holds_head, other_holds_row = threading.Event(), threading.Event()
    fulfil = peers.fulfil
    module, name = signalled
    lock = getattr(module, name)

    def held_fulfil(*args: Any, **kwargs: Any) -> Any:
        found = fulfil(*args, **kwargs)
        accept_holds_head.set()  # demand.fulfilled is written: the acceptance holds the head
        other_holds_row.wait(HOLD_S)
        return found

    def signalling_lock(*args: Any, **kwargs: Any) -> Any:
        row = lock(*args, **kwargs)
        if accept_holds_head.is_set():
            other_holds_row.set()  # the other side holds its row; it now wants the head
        return row

    monkeypatch.setattr(peers, "fulfil", held_fulfil)
    monkeypatch.setattr(module, name, signalling_lock)
    answers: list[httpx.Response] = []
    with serve(create_app(runtime=runtime)) as url:

        def accept() -> None:
            with httpx.Client(base_url=url, headers=buyer.headers, timeout=60) as client:
                answers.append(client.post(f"/quotes/{quote_id}/accept"))

        thread = threading.Thread(target=accept)
        thread.start()
        assert accept_holds_head.wait(30)
        answer = other()
        thread.join(60)
    return answers[0], answer


def test_a_quote_withdrawn_while_it_is_accepted_is_no_deadlock(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    demand_id = demand(api, buyer)
    quote = send_quote(api, supplier, demand_id, listing(api, supplier, ops)["id"])
    accepted, withdrawn = _accept_while(
        api, asset_runtime, monkeypatch, buyer=buyer, quote_id=quote["id"],
        signalled=(repository, "lock"),
        other=lambda: api.post(f"/quotes/{quote['id']}/withdraw", headers=supplier.headers),
    )  # fmt: skip

    assert accepted.status_code == 200, accepted.text
    assert (withdrawn.status_code, withdrawn.json()["error"]) == (409, "quote_state")
    shown = api.get(f"/quotes/{quote['id']}", headers=supplier.headers).json()
    assert (shown["status"], shown["order_id"]) == ("accepted", accepted.json()["order_id"])


def test_a_rival_quote_withdrawn_while_another_is_accepted_is_no_deadlock(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, rival: Party, buyer: Party,
    ops: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    demand_id = demand(api, buyer)
    quote = send_quote(api, supplier, demand_id, listing(api, supplier, ops)["id"])
    other = send_quote(api, rival, demand_id, listing(api, rival, ops)["id"])
    accepted, withdrawn = _accept_while(
        api, asset_runtime, monkeypatch, buyer=buyer, quote_id=quote["id"],
        signalled=(repository, "lock"),
        other=lambda: api.post(f"/quotes/{other['id']}/withdraw", headers=rival.headers),
    )  # fmt: skip

    assert accepted.status_code == 200, accepted.text
    # The acceptance turned the rival's quote down first; it can no longer be withdrawn.
    assert (withdrawn.status_code, withdrawn.json()["error"]) == (409, "quote_state")
    shown = api.get(f"/quotes/{other['id']}", headers=rival.headers).json()
    assert shown["status"] == "rejected"


def test_a_listing_paused_while_its_quote_is_accepted_is_no_deadlock(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    demand_id = demand(api, buyer)
    listing_id = listing(api, supplier, ops)["id"]
    quote = send_quote(api, supplier, demand_id, listing_id)
    accepted, paused = _accept_while(
        api, asset_runtime, monkeypatch, buyer=buyer, quote_id=quote["id"],
        signalled=(changes, "_locked"),
        other=lambda: api.post(f"/listings/{listing_id}/pause", headers=supplier.headers),
    )  # fmt: skip

    # The order was placed while the listing sold; the pause then stops later sales.
    assert accepted.status_code == 200, accepted.text
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "paused"
    order = api.get(f"/orders/{accepted.json()['order_id']}", headers=buyer.headers)
    assert order.json()["listing_id"] == listing_id
