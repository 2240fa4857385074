"""The last exclusive licence: 20 funded buyers race to buy it (place and pay in one request)
over a real server; exactly one gets it, the other 19 are refused with nothing held, and the
books reconcile."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from marketplace.client import Databourse
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange
from tests.marketplace.orders.helpers import PRICE_MINOR, keyed
from tests.marketplace.orders.money import balance, fund, reconciled
from tests.marketplace.orders.test_exclusive_http import _exclusive_listing

BUYERS = 20


def _funded_buyers(url: str, engine: Engine) -> list[tuple[str, int]]:
    """(token, organisation id) of each verified buyer, each funded with the price exactly."""
    found = []
    with Databourse(url) as ops:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        for n in range(BUYERS):
            with Databourse(url) as b:
                b.identity.signup(
                    f"r{n}@racers.test", PASSWORD, organization=f"R{n}", roles=["buyer"]
                )
                org_id = b.identity.me().organization.id
                ops.identity.verify_organization(org_id)
                assert b.token is not None
                fund(engine, org_id, PRICE_MINOR)
                found.append((b.token, org_id))
    return found


def test_twenty_buyers_race_for_the_last_exclusive_licence_one_gets_it(
    engine: Engine, tmp_path: Path
) -> None:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        listing_id = _exclusive_listing(url, tmp_path)
        buyers = _funded_buyers(url, engine)
        barrier = threading.Barrier(BUYERS)
        answers: dict[int, tuple[int, Any]] = {}

        def buy(token: str, org_id: int) -> None:
            with httpx.Client(base_url=url, timeout=120) as http:
                barrier.wait()
                r = http.post(
                    "/orders/purchase", json={"listing_id": listing_id, "purpose": "research"},
                    headers=keyed({"Authorization": f"Bearer {token}"}),
                )  # fmt: skip
                answers[org_id] = (r.status_code, r.json())

        threads = [threading.Thread(target=buy, args=b) for b in buyers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert Counter(s for s, _ in answers.values()) == {201: 1, 409: BUYERS - 1}, answers
        losers = {body["error"] for s, body in answers.values() if s == 409}
        assert losers == {"exclusive_taken"}
        (winner,) = [org for org, (s, _) in answers.items() if s == 201]
        assert answers[winner][1]["status"] == "paid"
        for _, org_id in buyers:
            held = PRICE_MINOR if org_id == winner else 0
            assert balance(engine, org_id) == (PRICE_MINOR - held, held)
        for kind in ("order.placed", "order.paid", "escrow.held"):
            got = httpx.get(f"{url}/ledger/entries", params={"kind": kind}).json()
            assert len(got["items"]) == 1, kind
        assert reconciled(engine)
