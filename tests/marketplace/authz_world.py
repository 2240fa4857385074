"""The world the authorisation matrix runs in: organisation A's supplier and buyer own one of
every kind of object (asset, listing, order, licence, dispute, demand, quote, auction, objection,
payment, ...); a second organisation of each role owns nothing of A's; and one organisation
holds each role alone. Built once per database through the HTTP API and the domains' test
helpers, as a user would build it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.auctions.endpoints import current_time
from marketplace.db import make_engine
from marketplace.quality import QualityReport, compare
from marketplace.runtime import Runtime
from tests.conftest import _truncate_all, settings_for
from tests.marketplace.assets.helpers import (
    Party,
    operator,
    party,
    registered_listed,
    upload,
    verify,
)
from tests.marketplace.assets.helpers import create as create_asset
from tests.marketplace.auctions.helpers import (
    Clock,
    commit,
    exclusive_listing,
    open_auction,
    reveal,
)
from tests.marketplace.books.helpers import deposit
from tests.marketplace.delivery.helpers import issued, licence_of
from tests.marketplace.disputes.helpers import open_dispute, post_statement
from tests.marketplace.identity.helpers import CHAIN_ID, OPERATOR_EMAIL
from tests.marketplace.orders.helpers import keyed, on_sale
from tests.marketplace.orders.money import deliver, fund
from tests.marketplace.quotes.helpers import demand, send_quote
from tests.marketplace.valuation.helpers import COST, grant

FUNDS_MINOR = 2_000_000
OBJECTION: dict[str, Any] = {
    "reason_code": "ownership",
    "statement": "We collected these prices at our own stalls; contract ref 2024-17.",
    "evidence_hashes": ["ab" * 32],
}


@contextmanager
def world_app(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    **settings: object,
) -> Iterator[tuple[FastAPI, Runtime, Clock]]:
    """An app for a module's world on the database ``request.param`` names (a fresh SQLite
    file, or the PostgreSQL schema emptied before and after), with ``settings`` and its auction
    clock overridden; ``name`` names its temporary folders."""
    blob_dir = tmp_path_factory.mktemp(f"{name}-blobs")
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp(f"{name}-db") / "databourse.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        engine: Engine = make_engine(f"sqlite:///{path}")
    else:
        engine = request.getfixturevalue("postgres_engine")
        _truncate_all(engine)
    runtime = Runtime(
        settings=settings_for(engine, blob_url=f"file://{blob_dir}", **settings), engine=engine
    )
    runtime.chain_id = CHAIN_ID
    app = create_app(runtime=runtime)
    clock = Clock()
    app.dependency_overrides[current_time] = clock.read
    try:
        yield app, runtime, clock
    finally:
        if request.param == "sqlite":
            engine.dispose()
        else:
            _truncate_all(engine)


@dataclass
class World:
    """Who is who, and the ids of organisation A's objects."""

    parties: dict[str, Party] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int | str] = field(default_factory=dict)
    bodies: dict[str, Any] = field(default_factory=dict)
    clock: Clock = field(default_factory=Clock)  # the app's auction clock


def _purchase(api: TestClient, buyer: Party, listing_id: int) -> dict[str, Any]:
    r = api.post(
        "/orders/purchase", json={"listing_id": listing_id, "purpose": "research"},
        headers=keyed(buyer.headers),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    return order


def _auctions(api: TestClient, w: World, clock: Clock) -> None:
    sa, ba, ops, ids = w.parties["supplier_a"], w.parties["buyer_a"], w.parties["operator"], w.ids
    far = {"commit_deadline": later(clock, 240), "reveal_deadline": later(clock, 480)}
    sold = int(open_auction(api, sa, exclusive_listing(api, sa, ops), clock)["id"])
    assert commit(api, ba, sold, 150_000).status_code == 201
    ids["exclusive_listing"] = exclusive_listing(api, sa, ops)
    ids["auction"] = int(open_auction(api, sa, int(ids["exclusive_listing"]), clock, **far)["id"])
    assert commit(api, ba, int(ids["auction"]), 150_000).status_code == 201
    open_for_bids = exclusive_listing(api, sa, ops)
    ids["auction_to_bid"] = int(open_auction(api, sa, open_for_bids, clock, **far)["id"])
    clock.advance(minutes=90)  # past the sold auction's commit deadline
    assert reveal(api, ba, sold, 150_000).status_code == 200
    clock.advance(minutes=60)  # past its reveal deadline
    r = api.post(f"/auctions/{sold}/resolve")
    assert r.status_code == 200, r.text
    assert r.json()["result"]["winner_organization_id"] == ba.organization_id, r.text
    ids["auction_sold"] = sold


def later(clock: Clock, hours: float) -> str:
    return (clock.now + timedelta(hours=hours)).isoformat()


def _quote_on_new_demand(api: TestClient, w: World) -> int:
    demand_id = demand(api, w.parties["buyer_a"])
    quote = send_quote(api, w.parties["supplier_a"], demand_id, int(w.ids["listing"]))
    return int(quote["id"])


class _Enrol:
    """Signs organisations up (verified, funded) and remembers who is who."""

    def __init__(self, api: TestClient, runtime: Runtime, w: World) -> None:
        self.api, self.runtime, self.w = api, runtime, w

    def verified(self, name: str, email: str, org: str, roles: list[str]) -> Party:
        who = party(self.api, email, org, roles)
        verify(self.api, self.w.parties["operator"], who)
        return self._keep(name, email, who)

    def with_role(self, name: str, email: str, org: str, role: str) -> Party:
        """A verified organisation holding ``role`` alone (sign-up offers supplier and buyer;
        operators grant the others)."""
        who = party(self.api, email, org, [])
        grant(self.api, self.w.parties["operator"], who, role)
        return self._keep(name, email, who)

    def _keep(self, name: str, email: str, who: Party) -> Party:
        fund(self.runtime.engine, who.organization_id, FUNDS_MINOR)
        self.w.parties[name] = who
        self.w.emails[name] = email
        return who


def build(api: TestClient, runtime: Runtime, clock: Clock) -> World:
    """The world, its auctions on ``clock`` (the app's auction clock): one sold to buyer A, one
    with buyer A's sealed bid, one open for bids."""
    w = World(clock=clock)
    ops = w.parties["operator"] = operator(api, runtime)
    w.emails["operator"] = OPERATOR_EMAIL
    enrol = _Enrol(api, runtime, w)
    sa = enrol.verified("supplier_a", "sa@a.test", "A Supply", ["supplier"])
    ba = enrol.verified("buyer_a", "ba@a-buy.test", "A Buying", ["buyer"])
    judge = enrol.with_role("arbitrator_a", "ja@a-arb.test", "A Arbitration", "arbitrator")
    ids = w.ids

    # Assets: one listed and on sale, one listed with objections, one private draft (and one
    # to delete), one listed for an operator to suspend and one suspended to reinstate.
    listing = on_sale(api, sa, ops)
    ids["listing"] = int(listing["id"])
    ids["asset"] = int(listing["asset_id"])
    ids["revision"] = 1
    ids["listing_to_pause"] = int(on_sale(api, sa, ops)["id"])
    ids["listing_to_withdraw"] = int(on_sale(api, sa, ops)["id"])
    ids["objected_asset"] = registered_listed(api, sa, ops, title="Vegetable prices")
    ids["asset_to_suspend"] = registered_listed(api, sa, ops, title="Meat prices")
    ids["asset_to_reinstate"] = registered_listed(api, sa, ops, title="Fish prices")
    ids["asset_to_patch"] = registered_listed(api, sa, ops, title="Grain prices")
    r = api.post(
        f"/assets/{ids['asset_to_reinstate']}/suspend", json={"reason": "checking"},
        headers=ops.headers,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    for name in ("draft", "draft_to_delete", "draft_to_cancel"):
        ids[name] = int(create_asset(api, sa, title="Unpublished prices")["id"])
        r = upload(api, sa, int(ids[name]), b"id,secret\n1,x\n")
        assert r.status_code == 201, r.text
    r = api.post(
        f"/assets/{ids['asset']}/valuations",
        json={"kind": "indicative", "inputs": {"cost": COST}},
        headers=sa.headers,
    )
    assert r.status_code == 201, r.text
    ids["valuation"] = int(r.json()["id"])
    report = QualityReport.model_validate(
        api.get(f"/assets/{ids['asset']}/quality").json()["report"]
    )
    w.bodies["comparison"] = compare(report, report).model_dump(mode="json")

    # Buyer A's money, orders, licence, download URL and dispute.
    r = deposit(api, ba, 10_000)
    assert r.status_code == 201, r.text
    ids["payment"] = int(r.json()["id"])
    order = _purchase(api, ba, int(ids["listing"]))
    ids["order"] = int(order["id"])
    ids["hold"] = int(order["hold_id"])
    ids["licence"] = licence_of(runtime, int(order["id"]))
    url = issued(api, ba, int(ids["licence"]))
    ids["download_token"] = str(url["path"]).rsplit("/", 1)[-1]
    w.bodies["receipt"] = {"served_seq": url["served_seq"], "sha256": url["sha256"]}
    ids["order_to_accept"] = int(_purchase(api, ba, int(ids["listing"]))["id"])
    deliver(runtime.engine, int(ids["order_to_accept"]))
    settled = _purchase(api, ba, int(ids["listing"]))
    deliver(runtime.engine, int(settled["id"]))
    r = api.post(f"/orders/{settled['id']}/accept", headers=keyed(ba.headers))
    assert r.status_code == 200, r.text
    ids["settled_hold"] = int(settled["hold_id"])  # posted: its payee is supplier A
    disputed = _purchase(api, ba, int(ids["listing"]))
    dispute = open_dispute(api, ba, int(disputed["id"]))
    ids["disputed_order"] = int(disputed["id"])
    ids["dispute"] = int(dispute["id"])
    drawn = {a["organization_id"] for a in dispute["assignments"]}
    assert drawn == {judge.organization_id}, dispute["assignments"]
    r = post_statement(api, ba, int(ids["dispute"]), "The file has half the rows.")
    assert r.status_code == 201, r.text
    ids["evidence"] = int(r.json()["id"])

    # Demands and quotes (one to accept, one to reject, one to withdraw), auctions, objections.
    ids["demand"] = demand(api, ba)
    ids["demand_to_close"] = demand(api, ba)
    ids["quote"] = int(send_quote(api, sa, int(ids["demand"]), int(ids["listing"]))["id"])
    for name in ("quote_to_accept", "quote_to_reject", "quote_to_withdraw"):
        ids[name] = _quote_on_new_demand(api, w)
    _auctions(api, w, clock)
    r = api.post(f"/assets/{ids['objected_asset']}/objections", json=OBJECTION, headers=ba.headers)
    assert r.status_code == 201, r.text
    ids["objection"] = int(r.json()["id"])
    objector = enrol.verified("objector", "d@d-obj.test", "D Objecting", ["buyer"])
    r = api.post(
        f"/assets/{ids['objected_asset']}/objections", json=OBJECTION, headers=objector.headers
    )
    assert r.status_code == 201, r.text
    ids["objection_to_decide"] = int(r.json()["id"])
    inbox = api.get("/inbox", headers=ba.headers).json()["items"]
    ids["notification"] = int(inbox[0]["id"])
    ids["seq"] = 1
    ids["static_file"] = "site.css"  # a page's stylesheet, GET /static/{name}
    ids["statement_format"] = "csv"  # GET /money/statement.{fmt}
    ids["quote_missing"] = 999_999  # no quote has it: a page's accept must not take a real one

    # Everyone else, made after the draw so that no dispute of A's names them.
    enrol.verified("supplier_b", "sb@b.test", "B Supply", ["supplier"])
    enrol.verified("buyer_b", "bb@b-buy.test", "B Buying", ["buyer"])
    enrol.with_role("arbitrator_b", "jb@b-arb.test", "B Arbitration", "arbitrator")
    enrol.verified("supplier", "s@c.test", "C Supply", ["supplier"])
    enrol.verified("buyer", "b@c-buy.test", "C Buying", ["buyer"])
    enrol.with_role("arbitrator", "j@c-arb.test", "C Arbitration", "arbitrator")
    enrol.with_role("valuer", "v@c-val.test", "C Valuation", "valuer")
    ids["organization"] = party(api, "new@spare.test", "Spare Co", ["buyer"]).organization_id
    # Organisations for an operator to suspend, and one suspended to reinstate (each over the
    # API and on the operator's page).
    for name in ("organization_to_suspend", "organization_suspended", "page_to_suspend",
                 "page_suspended"):  # fmt: skip
        ids[name] = party(api, f"{name}@spare.test", name, ["buyer"]).organization_id
    for name in ("organization_suspended", "page_suspended"):
        r = api.post(
            f"/organizations/{ids[name]}/suspend", json={"reason": "checking"},
            headers=ops.headers,
        )  # fmt: skip
        assert r.status_code == 200, r.text
    return w
