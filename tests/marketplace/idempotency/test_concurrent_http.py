"""The same order sent 5 times at once with one key, to a real server: one order is placed;
every answer is that order (the others wait for the first attempt and replay it)."""

from __future__ import annotations

import threading

import httpx
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.identity.helpers import serve
from tests.marketplace.orders.helpers import on_sale, order_kinds

SENDERS = 5
ROUNDS = 3  # one key each


def _send_at_once(
    url: str, headers: dict[str, str], body: dict[str, object]
) -> list[httpx.Response]:
    barrier = threading.Barrier(SENDERS)
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            barrier.wait()
            answers.append(http.post("/orders", json=body, headers=headers))

    threads = [threading.Thread(target=send) for _ in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(answers) == SENDERS
    return answers


def test_one_key_sent_five_times_at_once_places_one_order(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    body = {"listing_id": listing["id"], "purpose": "research"}
    placed: list[int] = []
    with serve(create_app(runtime=asset_runtime)) as url:
        for n in range(ROUNDS):
            headers = {**buyer.headers, "Idempotency-Key": f"round-{n}"}
            answers = _send_at_once(url, headers, body)
            # The others waited for the first attempt's transaction and replay its answer.
            assert [r.status_code for r in answers] == [201] * SENDERS, [r.text for r in answers]
            assert len({r.content for r in answers}) == 1  # identical answers
            replayed = [r.headers.get("idempotent-replayed") for r in answers]
            assert replayed.count("true") == SENDERS - 1
            placed.append(answers[0].json()["id"])
            # Once the first attempt has answered, the key replays that answer.
            late = httpx.post(f"{url}/orders", json=body, headers=headers)
            assert (late.status_code, late.content) == (201, answers[0].content)
    mine = api.get("/orders", headers=buyer.headers).json()["items"]
    assert sorted(o["id"] for o in mine) == sorted(placed)
    assert len(set(placed)) == ROUNDS
    assert order_kinds(api) == ["order.placed"] * ROUNDS
