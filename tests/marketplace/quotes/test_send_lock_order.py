"""A quote sent while its demand is closed or fulfilled: one waits for the other, and a quote is
never offered on a demand the journal already shows closed or fulfilled.

Sending used to read the demand without locking it, while closing and fulfilling lock its row
(for update), then write their entry (the journal head). A quote sent while a close held the row
read the demand still open, waited only for the head, and committed once the close had: a quote
offered on a closed demand (or on one fulfilled by another quote), which the buyer can never
accept, its ``quote.offered`` entry after ``demand.closed``. Sending now share-locks the demand
before anything else it locks, and reads its state under the lock.

One side is held (patched, in this process where the server runs) once it holds the journal
head, right after its entry, until PostgreSQL shows the other side waiting for one of its locks
(at most ``WAITED_FOR_S_MAX``; on SQLite, whose ``BEGIN IMMEDIATE`` serialises the two, for
``HOLD_S``), so that the interleaving is the same every run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, col, func, select

from ledger.models import JournalEntry
from marketplace.app import create_app
from marketplace.matching.service import demands
from marketplace.quotes.models import Quote
from marketplace.quotes.service import sending
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.identity.helpers import serve
from tests.marketplace.quotes.helpers import (
    demand,
    entries,
    listing,
    post_quote,
    quote_body,
    send_quote,
)

#: How long the held side waits, holding the journal head, for the other side to wait for it
#: (PostgreSQL: at most; it goes on as soon as the other waits).
WAITED_FOR_S_MAX = 15.0
#: How long the held side holds on SQLite, where the other side's wait cannot be seen.
HOLD_S = 2.0

_WAITING_FOR = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")


def _hold_until_waited_for(session: Session, engine: Engine) -> bool:
    """Keep ``session``'s transaction open until another transaction waits for one of its locks
    (PostgreSQL; at most ``WAITED_FOR_S_MAX``), or for ``HOLD_S`` (SQLite); whether one did."""
    if engine.dialect.name != "postgresql":
        time.sleep(HOLD_S)  # SQLite: the other side waits for BEGIN IMMEDIATE, unseen
        return False
    pid = session.connection().execute(text("SELECT pg_backend_pid()")).scalar_one()
    give_up = time.monotonic() + WAITED_FOR_S_MAX
    with engine.connect() as watcher:
        while time.monotonic() < give_up:
            if watcher.execute(_WAITING_FOR, {"pid": pid}).scalar_one():
                return True
            watcher.rollback()  # pg_stat_activity is read once a transaction: read it anew
            time.sleep(0.02)
    return False


def _held_while(
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    *,
    held: tuple[Any, str],
    request: Callable[[httpx.Client], httpx.Response],
    other: Callable[[], httpx.Response],
) -> tuple[httpx.Response, httpx.Response, bool]:
    """Send ``request`` to a real server, held right after the journal entry ``held`` (module,
    function) writes until ``other``, sent meanwhile, waits for it. (the held request's answer,
    the other's, whether the other was seen waiting)."""
    holds_head = threading.Event()
    waited: list[bool] = []
    module, name = held
    journal = getattr(module, name)

    def held_journal(session: Session, *args: Any, **kwargs: Any) -> Any:
        entry = journal(session, *args, **kwargs)
        holds_head.set()
        waited.append(_hold_until_waited_for(session, runtime.engine))
        return entry

    monkeypatch.setattr(module, name, held_journal)
    answers: list[httpx.Response] = []
    with serve(create_app(runtime=runtime)) as url:

        def send() -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                answers.append(request(client))

        thread = threading.Thread(target=send)
        thread.start()
        assert holds_head.wait(30)
        answer = other()
        thread.join(60)
    return answers[0], answer, waited == [True]


def _send(client: httpx.Client, who: Party, demand_id: int, listing_id: int) -> httpx.Response:
    return client.post(
        f"/demands/{demand_id}/quotes", json=quote_body(listing_id), headers=who.headers
    )


def _quotes_of(engine: Engine, demand_id: int) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(Quote).where(col(Quote.demand_id) == demand_id)
        return int(session.exec(query).one())


def _offered_entries(engine: Engine) -> int:
    with Session(engine) as session:
        query = (
            select(func.count())
            .select_from(JournalEntry)
            .where(col(JournalEntry.kind) == "quote.offered")
        )
        return int(session.exec(query).one())


def _seq(api: TestClient, who: Party, subject: str, kind: str) -> int:
    return next(int(e["seq"]) for e in entries(api, who, subject) if e["kind"] == kind)


def test_a_quote_sent_while_its_demand_is_closed_waits_and_is_refused(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    demand_id = demand(api, buyer)
    listing_id = listing(api, supplier, ops)["id"]
    closed, sent, waited = _held_while(
        asset_runtime, monkeypatch, held=(demands, "journal_demand"),
        request=lambda c: c.post(f"/demands/{demand_id}/close", headers=buyer.headers),
        other=lambda: post_quote(api, supplier, demand_id, listing_id),
    )  # fmt: skip

    assert closed.status_code == 200, closed.text
    assert waited or asset_runtime.engine.dialect.name == "sqlite"
    assert sent.status_code == 409, sent.text
    assert sent.json()["error"] == "demand_state"
    assert "is closed" in sent.json()["message"]
    assert _quotes_of(asset_runtime.engine, demand_id) == 0
    assert _offered_entries(asset_runtime.engine) == 0


def test_a_quote_sent_while_its_demand_is_fulfilled_waits_and_is_refused(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, rival: Party, buyer: Party,
    ops: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    demand_id = demand(api, buyer)
    quote = send_quote(api, supplier, demand_id, listing(api, supplier, ops)["id"])
    rival_listing_id = listing(api, rival, ops)["id"]
    accepted, sent, waited = _held_while(
        asset_runtime, monkeypatch, held=(demands, "journal_demand"),
        request=lambda c: c.post(f"/quotes/{quote['id']}/accept", headers=buyer.headers),
        other=lambda: post_quote(api, rival, demand_id, rival_listing_id),
    )  # fmt: skip

    assert accepted.status_code == 200, accepted.text
    assert waited or asset_runtime.engine.dialect.name == "sqlite"
    assert sent.status_code == 409, sent.text
    assert sent.json()["error"] == "demand_state"
    assert "is fulfilled" in sent.json()["message"]
    assert _quotes_of(asset_runtime.engine, demand_id) == 1  # the accepted one alone
    assert _offered_entries(asset_runtime.engine) == 1


def test_a_demand_closed_while_a_quote_is_sent_waits_for_the_quote(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    demand_id = demand(api, buyer)
    listing_id = listing(api, supplier, ops)["id"]
    sent, closed, waited = _held_while(
        asset_runtime, monkeypatch, held=(sending, "journal_quote"),
        request=lambda c: _send(c, supplier, demand_id, listing_id),
        other=lambda: api.post(f"/demands/{demand_id}/close", headers=buyer.headers),
    )  # fmt: skip

    assert sent.status_code == 201, sent.text
    assert waited or asset_runtime.engine.dialect.name == "sqlite"
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    # The quote was offered while the demand was open; the close came after it.
    offered = _seq(api, supplier, f"quote:{sent.json()['id']}", "quote.offered")
    assert offered < _seq(api, buyer, f"demand:{demand_id}", "demand.closed")


def test_a_quote_accepted_while_another_is_sent_waits_for_it_and_rejects_it(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, rival: Party, buyer: Party,
    ops: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    demand_id = demand(api, buyer)
    quote = send_quote(api, supplier, demand_id, listing(api, supplier, ops)["id"])
    rival_listing_id = listing(api, rival, ops)["id"]
    sent, accepted, waited = _held_while(
        asset_runtime, monkeypatch, held=(sending, "journal_quote"),
        request=lambda c: _send(c, rival, demand_id, rival_listing_id),
        other=lambda: api.post(f"/quotes/{quote['id']}/accept", headers=buyer.headers),
    )  # fmt: skip

    assert sent.status_code == 201, sent.text
    assert waited or asset_runtime.engine.dialect.name == "sqlite"
    assert accepted.status_code == 200, accepted.text
    offered = _seq(api, rival, f"quote:{sent.json()['id']}", "quote.offered")
    assert offered < _seq(api, buyer, f"demand:{demand_id}", "demand.fulfilled")
    # The acceptance locked the demand before its offered quotes: the quote it waited for is
    # among them and lost to the accepted one, not left offered on a fulfilled demand.
    rival_quote = api.get(f"/quotes/{sent.json()['id']}", headers=rival.headers).json()
    assert rival_quote["status"] == "rejected", rival_quote
    rejected = _seq(api, rival, f"quote:{sent.json()['id']}", "quote.rejected")
    assert rejected > offered
