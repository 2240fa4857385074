"""An exclusive listing is sold to one buyer at a time: while an order of it is placed no other
order can be placed (409, nothing written); cancelling frees it. Buyers racing for it over a real
server: exactly one wins."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.client import Databourse
from tests.marketplace.assets.helpers import CHECKLIST_OK, Party
from tests.marketplace.client.conftest import uploaded
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange
from tests.marketplace.listings.helpers import offer, terms
from tests.marketplace.orders.helpers import keyed, on_sale, order_kinds, place, post_order

EXCLUSIVE = {"terms": {"exclusive": True}}


def test_an_exclusive_listing_has_one_order_at_a_time(
    api: TestClient, supplier: Party, buyer: Party, rival: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops, **EXCLUSIVE)
    first = place(api, buyer, listing["id"])
    for who in (rival, buyer):
        r = post_order(api, who, listing["id"])
        assert r.status_code == 409, r.text
        assert r.json()["error"] == "exclusive_taken"
        assert "exclusive" in r.json()["message"]
    assert order_kinds(api) == ["order.placed"]

    assert api.post(f"/orders/{first['id']}/cancel", headers=buyer.headers).status_code == 200
    second = place(api, rival, listing["id"])
    assert second["buyer_organization_id"] == rival.organization_id


def test_a_non_exclusive_listing_takes_many_orders(
    api: TestClient, supplier: Party, buyer: Party, rival: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    place(api, buyer, listing["id"])
    place(api, rival, listing["id"])
    place(api, buyer, listing["id"])
    assert order_kinds(api) == ["order.placed"] * 3


BUYERS = 8


def _exclusive_listing(url: str, tmp_path: Path) -> int:
    with Databourse(url) as ops, Databourse(url) as seller:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        seller.identity.signup("sam@seller.test", PASSWORD, organization="Sam", roles=["supplier"])
        ops.identity.verify_organization(seller.identity.me().organization.id)
        asset_id = uploaded(seller, tmp_path)
        seller.assets.submit(asset_id)
        ops.assets.review(asset_id, decision="approved", checklist=CHECKLIST_OK)
        body = offer(asset_id, terms=terms(exclusive=True))
        auth = {"Authorization": f"Bearer {seller.token}"}
        r = httpx.post(f"{url}/listings", json=body, headers=auth)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


def _buyers(url: str) -> list[str]:
    tokens = []
    with Databourse(url) as ops:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        for n in range(BUYERS):
            with Databourse(url) as b:
                b.identity.signup(
                    f"b{n}@buyers.test", PASSWORD, organization=f"B{n}", roles=["buyer"]
                )
                ops.identity.verify_organization(b.identity.me().organization.id)
                assert b.token is not None
                tokens.append(b.token)
    return tokens


def test_buyers_racing_for_an_exclusive_listing_one_wins_the_rest_are_refused(
    engine: Engine, tmp_path: Path
) -> None:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        listing_id = _exclusive_listing(url, tmp_path)
        tokens = _buyers(url)
        barrier = threading.Barrier(BUYERS)
        answers: list[tuple[int, Any]] = []

        def buy(token: str) -> None:
            with httpx.Client(base_url=url, timeout=60) as http:
                barrier.wait()
                r = http.post(
                    "/orders", json={"listing_id": listing_id, "purpose": "research"},
                    headers=keyed({"Authorization": f"Bearer {token}"}),
                )  # fmt: skip
                answers.append((r.status_code, r.json()))

        threads = [threading.Thread(target=buy, args=(t,)) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        statuses = Counter(status for status, _ in answers)
        assert statuses == {201: 1, 409: BUYERS - 1}, answers
        assert {body["error"] for status, body in answers if status == 409} == {"exclusive_taken"}
        journal = httpx.get(f"{url}/ledger/entries", params={"kind": "order.placed"}).json()
        assert len(journal["items"]) == 1
