"""Two acceptances of two quotes of one demand at the same moment, against a real server (one
thread each): exactly one wins, the other is a 409, and the demand holds one accepted quote and
one order."""

from __future__ import annotations

import threading
from typing import Any

import httpx
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.identity.helpers import serve
from tests.marketplace.quotes.helpers import demand, listing, send_quote

ROUNDS = 3


def _race(url: str, buyer: Party, quote_ids: list[int]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(quote_ids))
    answers: dict[int, httpx.Response] = {}

    def accept(quote_id: int) -> None:
        with httpx.Client(base_url=url, headers=buyer.headers, timeout=60) as client:
            barrier.wait()
            answers[quote_id] = client.post(f"/quotes/{quote_id}/accept")

    threads = [threading.Thread(target=accept, args=(q,)) for q in quote_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    return [answers[q] for q in quote_ids]


def test_concurrent_acceptances_of_one_demand_have_exactly_one_winner(
    api: TestClient,
    *,
    asset_runtime: Runtime,
    supplier: Party,
    rival: Party,
    buyer: Party,
    ops: Party,
) -> None:
    mine, theirs = listing(api, supplier, ops)["id"], listing(api, rival, ops)["id"]
    with serve(create_app(runtime=asset_runtime)) as url:
        for _ in range(ROUNDS):
            demand_id = demand(api, buyer)
            ids = [send_quote(api, supplier, demand_id, mine)["id"],
                   send_quote(api, rival, demand_id, theirs)["id"]]  # fmt: skip
            answers = _race(url, buyer, ids)
            assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
            (won,) = [r.json() for r in answers if r.status_code == 200]
            (lost,) = [r.json() for r in answers if r.status_code == 409]
            assert lost["error"] in {"quote_state", "demand_not_open", "demand_state",
                                     "demand_already_awarded"}, lost  # fmt: skip
            page: dict[str, Any] = api.get(
                f"/demands/{demand_id}/quotes", headers=buyer.headers
            ).json()
            statuses = {q["id"]: q["status"] for q in page["items"]}
            assert sorted(statuses.values()) == ["accepted", "rejected"]
            assert statuses[won["id"]] == "accepted"
            shown = api.get(f"/demands/{demand_id}", headers=buyer.headers).json()
            assert (shown["status"], shown["fulfilled_by_quote_id"]) == ("fulfilled", won["id"])
            orders = [q["order_id"] for q in page["items"] if q["order_id"] is not None]
            assert orders == [won["order_id"]]
