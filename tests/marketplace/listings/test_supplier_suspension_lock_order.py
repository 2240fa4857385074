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

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from marketplace.app import create_app
from marketplace.auctions.commitment import commitment
from marketplace.identity.service import operators
from marketplace.listings import service as listings
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party, party, verify
from tests.marketplace.auctions.helpers import Clock, exclusive_listing, open_auction, salt
from tests.marketplace.identity.helpers import serve
from tests.marketplace.orders.helpers import PRICE_MINOR, keyed, on_sale
from tests.marketplace.orders.money import balance, fund
from tests.marketplace.quotes.helpers import demand, send_quote

#: The longest the held side waits for the other to be seen waiting (it is released then).
HOLD_S = 30.0
BID_MINOR = 300_000
REASON = "card payments reported stolen by two banks"
#: The statement each side waits in, on PostgreSQL: the sale for the supplier's row (found
#: through its listing), the suspension for the organisation's row a sale holds.
SALE_WAITS = (
    "FROM organization WHERE organization.id IN ($1::BIGINT, (SELECT "
    "listing.supplier_organization_id FROM listing WHERE listing.id = $2::BIGINT)) FOR SHARE"
)
SUSPENSION_WAITS = "FROM organization WHERE organization.id = $1::BIGINT FOR NO KEY UPDATE"


class _Held:
    """``owner.<name>`` patched to stop once it returns, the first time ``when`` holds for its
    arguments (after the session), until released: ``holds`` is set then, and ``pid`` is its
    transaction's PostgreSQL backend (None on SQLite)."""

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        owner: Any,
        name: str,
        when: Callable[..., bool] = lambda *_args: True,
    ) -> None:
        self.holds, self.release = threading.Event(), threading.Event()
        self.pid: int | None = None
        original: Callable[..., Any] = getattr(owner, name)

        def held(session: Session, *args: Any, **kwargs: Any) -> Any:
            found = original(session, *args, **kwargs)
            if not self.holds.is_set() and when(*args):
                if session.get_bind().dialect.name == "postgresql":
                    self.pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
                self.holds.set()
                self.release.wait(HOLD_S)
            return found

        monkeypatch.setattr(owner, name, held)


def _suspension_journaled(monkeypatch: pytest.MonkeyPatch) -> _Held:
    """The suspension, held once ``organization.suspended`` is written: it holds the
    organisation's row, its suspension (uncommitted) and the journal head."""
    return _Held(
        monkeypatch, operators, "append_journal", lambda kind, *_: kind == "organization.suspended"
    )


def _statement_waiting_for(engine: Engine, held: _Held) -> str | None:
    """The statement of the transaction waiting for ``held``'s locks, once one is (PostgreSQL);
    None on SQLite, where the other request waits for the write lock before its first
    statement. Releases ``held`` either way."""
    try:
        if held.pid is None:
            return None
        deadline = time.monotonic() + HOLD_S
        while True:
            with engine.connect() as conn:
                found = list(
                    conn.execute(
                        text(
                            "SELECT query FROM pg_stat_activity "
                            "WHERE CAST(:pid AS integer) = ANY(pg_blocking_pids(pid))"
                        ),
                        {"pid": held.pid},
                    ).scalars()
                )
            if found:
                assert len(found) == 1, found
                return " ".join(str(found[0]).split())
            assert time.monotonic() < deadline, "nothing waited for the held transaction"
            time.sleep(0.02)
    finally:
        held.release.set()


def _waits_in(statement: str | None, tail: str) -> bool:
    """Whether ``statement`` ends with ``tail`` (None, on SQLite, has nothing to show)."""
    return statement is None or statement.endswith(tail)


def _race(
    runtime: Runtime, held: _Held, first: Callable[[Any], Any], then: Callable[[Any], Any]
) -> tuple[httpx.Response, httpx.Response, str | None]:
    """``first`` sent to a real server and held by ``held``; ``then`` sent meanwhile. Their
    answers, and the statement ``then`` waited in (PostgreSQL)."""
    with (
        serve(create_app(runtime=runtime)) as url,
        httpx.Client(base_url=url, timeout=60) as one,
        httpx.Client(base_url=url, timeout=60) as two,
        ThreadPoolExecutor(2) as pool,
    ):
        held_side = pool.submit(first, one)
        assert held.holds.wait(30)
        other_side = pool.submit(then, two)
        waiting = _statement_waiting_for(runtime.engine, held)
        return held_side.result(60), other_side.result(60), waiting


def _suspend(who: Party, ops: Party) -> Callable[[Any], Any]:
    return lambda http: http.post(
        f"/organizations/{who.organization_id}/suspend", json={"reason": REASON},
        headers=ops.headers,
    )  # fmt: skip


def _purchase(who: Party, listing_id: int) -> Callable[[Any], Any]:
    """A purchase of the listing, sent through a served client or the test client alike."""
    body = {"listing_id": listing_id, "purpose": "research"}
    return lambda http: http.post("/orders/purchase", json=body, headers=keyed(who.headers))


def _seqs(api: TestClient, kind: str) -> list[int]:
    r = api.get("/ledger/entries", params={"kind": kind})
    assert r.status_code == 200, r.text
    return [int(e["seq"]) for e in r.json()["items"]]


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
    suspension = _suspension_journaled(monkeypatch)

    suspended, refused, waiting = _race(
        asset_runtime, suspension, _suspend(supplier, ops), _purchase(buyer, listing_id)
    )

    assert suspended.status_code == 200, suspended.text
    _refused_as_after(refused, _purchase(buyer, listing_id)(api))
    # PostgreSQL: the purchase waited for the suspended organisation's row itself.
    assert _waits_in(waiting, SALE_WAITS), waiting
    assert _seqs(api, "order.placed") == []
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
    purchase = _Held(monkeypatch, listings, "held_for_sale")

    bought, suspended, waiting = _race(
        asset_runtime, purchase, _purchase(buyer, listing_id), _suspend(supplier, ops)
    )

    # PostgreSQL: the suspension waited for the organisation's row the purchase share-locks.
    assert _waits_in(waiting, SUSPENSION_WAITS), waiting
    assert bought.status_code == 201, bought.text
    assert suspended.status_code == 200, suspended.text
    (placed,) = _seqs(api, "order.placed")
    (suspension_seq,) = _seqs(api, "organization.suspended")
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
    suspension = _suspension_journaled(monkeypatch)

    def bid(who: Party) -> Callable[[Any], Any]:
        body = {
            "commitment": commitment(aid, who.address, BID_MINOR, salt(1)),
            "purpose": "research",
        }
        return lambda http: http.post(f"/auctions/{aid}/bids", json=body, headers=who.headers)

    suspended, refused, waiting = _race(
        asset_runtime, suspension, _suspend(supplier, ops), bid(buyer)
    )

    assert suspended.status_code == 200, suspended.text
    _refused_as_after(refused, bid(rival)(api))
    assert _waits_in(waiting, SALE_WAITS), waiting
    assert _seqs(api, "auction.bid_committed") == []
    assert api.get(f"/auctions/{aid}").json()["commitments"] == 0
    assert api.get(f"/auctions/{aid}/bids/mine", headers=buyer.headers).status_code == 404


def test_a_quote_accepted_while_its_supplier_is_suspended_waits_and_is_refused(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    demand_id = demand(api, buyer)
    quote = send_quote(api, supplier, demand_id, on_sale(api, supplier, ops)["id"])
    suspension = _suspension_journaled(monkeypatch)

    def accept(http: Any) -> Any:
        return http.post(f"/quotes/{quote['id']}/accept", headers=buyer.headers)

    suspended, refused, waiting = _race(asset_runtime, suspension, _suspend(supplier, ops), accept)

    assert suspended.status_code == 200, suspended.text
    _refused_as_after(refused, accept(api))
    # PostgreSQL: the acceptance waited for the organisation's row, not only for the head.
    assert _waits_in(waiting, SALE_WAITS), waiting
    shown = api.get(f"/quotes/{quote['id']}", headers=buyer.headers).json()
    assert (shown["status"], shown["order_id"]) == ("offered", None)
    assert api.get(f"/demands/{demand_id}", headers=buyer.headers).json()["status"] == "open"
    assert _seqs(api, "order.placed") == []
    assert _seqs(api, "demand.fulfilled") == []


# The buyer's side: the request passed the token check before the suspension committed.


def _refused_as_suspended_buyer(refused: httpx.Response, after: httpx.Response) -> None:
    """``refused`` is what a suspended organisation's request gets: 403
    ``organization_suspended`` on PostgreSQL, where it authenticated before the suspension
    committed and waited in the sale's lock; on SQLite it waited for the write lock before its
    token was read, and is the 401 a request sent afterwards gets (the suspension revoked the
    token)."""
    if refused.status_code == 401:
        assert refused.json() == after.json(), refused.text
        assert after.json()["error"] == "token_revoked"
        return
    assert refused.status_code == 403, refused.text
    assert refused.json() == {
        "error": "organization_suspended",
        "message": "your organisation is suspended by the exchange's operators: it may not act "
        "until they reinstate it",
    }


def test_a_purchase_sent_while_its_buyer_is_suspended_waits_and_is_refused(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    engine = asset_runtime.engine
    fund(engine, buyer.organization_id, 2 * PRICE_MINOR)
    listing_id = on_sale(api, supplier, ops)["id"]
    suspension = _suspension_journaled(monkeypatch)

    suspended, refused, waiting = _race(
        asset_runtime, suspension, _suspend(buyer, ops), _purchase(buyer, listing_id)
    )

    assert suspended.status_code == 200, suspended.text
    _refused_as_suspended_buyer(refused, _purchase(buyer, listing_id)(api))
    # PostgreSQL: the purchase had passed the token check and waited for the buyer's row.
    assert _waits_in(waiting, SALE_WAITS), waiting
    assert _seqs(api, "order.placed") == []
    assert _seqs(api, "escrow.held") == []
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
    purchase = _Held(monkeypatch, listings, "held_for_sale")

    bought, suspended, waiting = _race(
        asset_runtime, purchase, _purchase(buyer, listing_id), _suspend(buyer, ops)
    )

    # PostgreSQL: the suspension waited for the buyer's row the purchase share-locks.
    assert _waits_in(waiting, SUSPENSION_WAITS), waiting
    assert bought.status_code == 201, bought.text
    assert suspended.status_code == 200, suspended.text
    (placed,) = _seqs(api, "order.placed")
    (suspension_seq,) = _seqs(api, "organization.suspended")
    assert placed < suspension_seq
    assert balance(engine, buyer.organization_id) == (PRICE_MINOR, PRICE_MINOR)


def test_a_bid_sent_while_its_bidder_is_suspended_waits_and_is_refused(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    aid = open_auction(api, supplier, exclusive_listing(api, supplier, ops), Clock())["id"]
    suspension = _suspension_journaled(monkeypatch)
    body = {
        "commitment": commitment(aid, buyer.address, BID_MINOR, salt(1)),
        "purpose": "research",
    }

    def bid(http: Any) -> Any:
        return http.post(f"/auctions/{aid}/bids", json=body, headers=buyer.headers)

    suspended, refused, waiting = _race(asset_runtime, suspension, _suspend(buyer, ops), bid)

    assert suspended.status_code == 200, suspended.text
    _refused_as_suspended_buyer(refused, bid(api))
    assert _waits_in(waiting, SALE_WAITS), waiting
    assert _seqs(api, "auction.bid_committed") == []
    assert api.get(f"/auctions/{aid}").json()["commitments"] == 0


def test_a_quote_accepted_while_its_buyer_is_suspended_waits_and_is_refused(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    demand_id = demand(api, buyer)
    quote = send_quote(api, supplier, demand_id, on_sale(api, supplier, ops)["id"])
    suspension = _suspension_journaled(monkeypatch)

    def accept(http: Any) -> Any:
        return http.post(f"/quotes/{quote['id']}/accept", headers=buyer.headers)

    suspended, refused, waiting = _race(asset_runtime, suspension, _suspend(buyer, ops), accept)

    assert suspended.status_code == 200, suspended.text
    _refused_as_suspended_buyer(refused, accept(api))
    # PostgreSQL: the acceptance waited in the sale's lock, holding the demand and its quotes.
    assert _waits_in(waiting, SALE_WAITS), waiting
    shown = api.get(f"/quotes/{quote['id']}", headers=supplier.headers).json()
    assert (shown["status"], shown["order_id"]) == ("offered", None)
    assert _seqs(api, "order.placed") == []
    assert _seqs(api, "demand.fulfilled") == []
    assert _seqs(api, "quote.accepted") == []
