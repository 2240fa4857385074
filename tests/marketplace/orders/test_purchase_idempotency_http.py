"""The same purchase sent 5 times at once with one Idempotency-Key, to a real server: the buyer
is charged once; every answer is the same paid order (the others wait for the first and replay
it); a retry afterwards replays it. Accepting with one key settles once."""

from __future__ import annotations

import threading

import httpx
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.identity.helpers import serve
from tests.marketplace.orders.helpers import PRICE_MINOR, on_sale
from tests.marketplace.orders.money import balance, deliver, fee_revenue, fund, reconciled
from tests.marketplace.orders.test_settlement_http import FEE

SENDERS = 5


def _at_once(url: str, path: str, headers: dict[str, str], body: object) -> list[httpx.Response]:
    barrier = threading.Barrier(SENDERS)
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            barrier.wait()
            answers.append(http.post(path, json=body, headers=headers))

    threads = [threading.Thread(target=send) for _ in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert len(answers) == SENDERS
    return answers


def _one_answer(answers: list[httpx.Response], status: int) -> httpx.Response:
    """Every sender waited for the first attempt and got its answer: no 409 in flight."""
    assert [r.status_code for r in answers] == [status] * SENDERS, [r.text for r in answers]
    assert len({r.content for r in answers}) == 1  # identical answers
    replayed = [r.headers.get("idempotent-replayed") for r in answers]
    assert sorted(replayed, key=str) == [None] + ["true"] * (SENDERS - 1)
    return answers[0]


def test_one_purchase_sent_five_times_at_once_charges_once(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine = asset_runtime.engine
    fund(engine, buyer.organization_id, 3 * PRICE_MINOR)
    listing = on_sale(api, supplier, ops)
    body = {"listing_id": listing["id"], "purpose": "research"}
    with serve(create_app(runtime=asset_runtime)) as url:
        headers = {**buyer.headers, "Idempotency-Key": "buy-once"}
        bought = _one_answer(_at_once(url, "/orders/purchase", headers, body), 201)
        late = httpx.post(f"{url}/orders/purchase", json=body, headers=headers)
        assert (late.status_code, late.content) == (201, bought.content)
        assert balance(engine, buyer.organization_id) == (2 * PRICE_MINOR, PRICE_MINOR)
        mine = api.get("/orders", headers=buyer.headers).json()["items"]
        assert [o["id"] for o in mine] == [bought.json()["id"]]

        order_id = bought.json()["id"]
        deliver(engine, order_id)
        headers = {**buyer.headers, "Idempotency-Key": "accept-once"}
        path = f"/orders/{order_id}/accept"
        accepted = _one_answer(_at_once(url, path, headers, None), 200)
        assert accepted.json()["status"] == "settled"
    assert balance(engine, supplier.organization_id) == (PRICE_MINOR - FEE, 0)
    assert fee_revenue(engine) == FEE
    assert reconciled(engine)
