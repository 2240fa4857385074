"""Every refusal of the dispute path gets a clear 4xx and changes nothing: balances, the order,
the dispute and the journal stay as they were."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.disputes.conftest import arbitrator
from tests.marketplace.disputes.helpers import (
    ARBITRATION_FEE,
    after_evidence,
    at,
    open_dispute,
    paid_order,
    post_dispute,
    post_ruling,
)
from tests.marketplace.listings.helpers import TERMS
from tests.marketplace.orders.helpers import PRICE_MINOR, keyed
from tests.marketplace.orders.money import balance, deliver, reconciled


def snapshot(
    api: TestClient, runtime: Runtime, parties: list[Party], dispute_id: int | None
) -> Any:
    engine = runtime.engine
    ledger = api.get("/ledger/entries", params={"limit": 500}).json()["items"]
    shown = None
    if dispute_id is not None:
        shown = api.get(f"/disputes/{dispute_id}", headers=parties[0].headers).json()
    return [balance(engine, p.organization_id) for p in parties], len(ledger), shown


def refused(r: Any, status: int, error: str) -> dict[str, Any]:
    assert (r.status_code, r.json()["error"]) == (status, error), r.text
    body: dict[str, Any] = r.json()
    return body


def test_bad_input_changes_nothing(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, rival: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    parties = [buyer, supplier]
    second = arbitrator(api, ops, 5)  # two in the pool: one is drawn, the other is not

    # Anyone but the order's parties: 404, as for the order itself.
    before = snapshot(api, asset_runtime, parties, None)
    refused(post_dispute(api, rival, order["id"]), 404, "order_not_found")
    refused(post_dispute(api, buyer, order["id"], reason="too_expensive"), 422, "invalid_request")
    refused(post_dispute(api, buyer, order["id"], statement=""), 422, "invalid_request")
    assert snapshot(api, asset_runtime, parties, None) == before

    dispute = open_dispute(api, buyer, order["id"])
    did = dispute["id"]
    pool = {judge.organization_id: judge, second.organization_id: second}
    drawn = pool.pop(dispute["assignments"][0]["organization_id"])
    outsider = next(iter(pool.values()))

    # A second dispute on the same order, by either side.
    before = snapshot(api, asset_runtime, parties, did)
    refused(post_dispute(api, buyer, order["id"]), 409, "dispute_exists")
    refused(post_dispute(api, supplier, order["id"]), 409, "dispute_exists")
    assert snapshot(api, asset_runtime, parties, did) == before

    # A ruling before submissions close names the time.
    early = refused(post_ruling(api, drawn, did, "refund"), 409, "evidence_open")
    assert dispute["evidence_closes_at"][:19] in early["message"]

    at(monkeypatch, after_evidence(dispute))
    refused(post_ruling(api, outsider, did, "refund"), 404, "dispute_not_found")  # not assigned
    refused(post_ruling(api, buyer, did, "refund"), 403, "not_assigned_arbitrator")  # a party
    refused(post_ruling(api, drawn, did, "split", 10_001), 422, "invalid_request")
    refused(post_ruling(api, drawn, did, "split", -1), 422, "invalid_request")
    for loose in (True, "6000", 6000.0):  # a share is an integer, never coerced from another type
        r = api.post(
            f"/disputes/{did}/ruling",
            json={"outcome": "split", "supplier_bp": loose, "reasons": "r"},
            headers=drawn.headers,
        )
        refused(r, 422, "invalid_request")
    refused(post_ruling(api, drawn, did, "release", 5000), 422, "invalid_dispute")
    refused(post_ruling(api, drawn, did, "split"), 422, "invalid_dispute")
    r = api.post(
        f"/disputes/{did}/ruling", json={"outcome": "refund", "reasons": ""}, headers=drawn.headers
    )
    refused(r, 422, "invalid_request")
    # An appeal before any ruling.
    refused(
        api.post(f"/disputes/{did}/appeal", headers=keyed(supplier.headers)), 409, "dispute_state"
    )
    assert snapshot(api, asset_runtime, parties, did) == before

    ruled = post_ruling(api, drawn, did, "split", 3000)
    assert ruled.status_code == 200, ruled.text
    refused(post_ruling(api, drawn, did, "refund"), 409, "dispute_state")  # rules once
    closes = datetime.fromisoformat(ruled.json()["appeal_closes_at"])
    before = snapshot(api, asset_runtime, parties, did)

    # An appeal after the window names the deadline; a stranger's is a 404.
    at(monkeypatch, closes)
    late = refused(
        api.post(f"/disputes/{did}/appeal", headers=keyed(buyer.headers)),
        409,
        "appeal_window_closed",
    )
    assert closes.isoformat()[:19] in late["message"]
    refused(
        api.post(f"/disputes/{did}/appeal", headers=keyed(rival.headers)), 404, "dispute_not_found"
    )
    refused(
        api.post(f"/disputes/{did}/appeal", headers=keyed(drawn.headers)), 403, "not_dispute_party"
    )
    assert snapshot(api, asset_runtime, parties, did) == before
    assert reconciled(asset_runtime.engine)


def test_a_settled_order_outside_the_window_is_refused_with_the_deadline(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    engine = asset_runtime.engine
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    deliver(engine, order["id"])
    done = api.post(f"/orders/{order['id']}/accept", headers=keyed(buyer.headers))
    assert done.status_code == 200, done.text
    settled_at = datetime.fromisoformat(done.json()["settled_at"])
    window = timedelta(hours=TERMS["dispute_window_h"])  # the window the listing signed
    before = snapshot(api, asset_runtime, [buyer, supplier], None)

    at(monkeypatch, settled_at + window)
    r = refused(post_dispute(api, buyer, order["id"]), 409, "dispute_window_closed")
    assert (settled_at + window).isoformat()[:19] in r["message"]
    assert snapshot(api, asset_runtime, [buyer, supplier], None) == before

    # Within the window, but the supplier has withdrawn its proceeds: refused too.
    from marketplace.db import unit_of_work
    from tests.marketplace.books.conftest import withdraw

    at(monkeypatch, settled_at + window - timedelta(seconds=1))
    proceeds = balance(engine, supplier.organization_id)[0]
    with unit_of_work(engine) as session:
        withdraw(session, supplier.organization_id, proceeds, "test-withdraw-proceeds")
    before = snapshot(api, asset_runtime, [buyer, supplier], None)
    refused(post_dispute(api, buyer, order["id"]), 409, "proceeds_withdrawn")
    assert snapshot(api, asset_runtime, [buyer, supplier], None) == before
    assert api.get(f"/orders/{order['id']}", headers=buyer.headers).json()["status"] == "settled"
    assert proceeds == PRICE_MINOR - 3125
    assert ARBITRATION_FEE > 0
