"""The appeal: a party appeals within the window, paying the appeal fee; a panel of three new
arbitrators votes; two identical votes make the final ruling, which the job executes. And a
settled order's proceeds, clawed back within the dispute window, refunded."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.disputes.conftest import arbitrator
from tests.marketplace.disputes.helpers import (
    APPEAL_FEE,
    ARBITRATION_FEE,
    FEE,
    FUNDS,
    after_evidence,
    at,
    execute,
    open_dispute,
    paid_order,
    post_ruling,
)
from tests.marketplace.disputes.test_case_http import arbitration_fees
from tests.marketplace.orders.helpers import PRICE_MINOR, entries, keyed
from tests.marketplace.orders.money import balance, deliver, fee_revenue, reconciled


def vote(api: TestClient, who: Party, dispute_id: int, outcome: str, bp: int | None = None) -> dict:  # type: ignore[type-arg]
    body = {"outcome": outcome, "reasons": "On the panel's reading of the evidence."}
    if bp is not None:
        body["supplier_bp"] = bp  # type: ignore[assignment]
    r = api.post(f"/disputes/{dispute_id}/votes", json=body, headers=who.headers)
    assert r.status_code == 200, r.text
    found: dict = r.json()  # type: ignore[type-arg]
    return found


def test_an_appeal_goes_to_a_panel_of_three_new_arbitrators(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    engine = asset_runtime.engine
    panel = {p.organization_id: p for p in (arbitrator(api, ops, n) for n in (2, 3, 4))}
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    dispute = open_dispute(api, buyer, order["id"])
    first = {a["organization_id"] for a in dispute["assignments"]}
    round_one = {**panel, judge.organization_id: judge}[next(iter(first))]
    at(monkeypatch, after_evidence(dispute))
    ruled = post_ruling(api, round_one, dispute["id"], "release").json()

    r = api.post(f"/disputes/{dispute['id']}/appeal", headers=keyed(buyer.headers))
    assert r.status_code == 200, r.text
    appealed = r.json()
    assert (appealed["status"], appealed["round"], appealed["appellant_side"]) == (
        "appealed",
        2,
        "buyer",
    )
    members = [a for a in appealed["assignments"] if a["round"] == 2]
    assert len(members) == 3
    assert not first & {a["organization_id"] for a in members}  # three new arbitrators
    again = api.post(f"/disputes/{dispute['id']}/appeal", headers=keyed(supplier.headers))
    assert (again.status_code, again.json()["error"]) == (409, "dispute_state")  # once
    assert balance(engine, buyer.organization_id) == (
        FUNDS - PRICE_MINOR - ARBITRATION_FEE - APPEAL_FEE,
        PRICE_MINOR + ARBITRATION_FEE + APPEAL_FEE,
    )  # fmt: skip
    # The round-1 arbitrator cannot vote; the ruling it issued does not execute any more.
    no = api.post(f"/disputes/{dispute['id']}/votes", json={"outcome": "refund", "reasons": "x"},
                  headers=round_one.headers)  # fmt: skip
    assert (no.status_code, no.json()["error"]) == (403, "not_assigned_arbitrator")
    assert (
        execute(
            asset_runtime, datetime.fromisoformat(ruled["appeal_closes_at"]) + timedelta(days=1)
        )
        == []
    )

    everyone = {**panel, judge.organization_id: judge}
    voters = [everyone[a["organization_id"]] for a in members]
    assert vote(api, voters[0], dispute["id"], "split", 3000)["status"] == "appealed"
    assert vote(api, voters[1], dispute["id"], "refund")["status"] == "appealed"
    twice = api.post(f"/disputes/{dispute['id']}/votes", json={"outcome": "refund", "reasons": "x"},
                     headers=voters[1].headers)  # fmt: skip
    assert (twice.status_code, twice.json()["error"]) == (409, "already_voted")
    final = vote(api, voters[2], dispute["id"], "split", 3000)
    assert (final["status"], final["outcome"], final["supplier_bp"]) == ("final", "split", 3000)

    assert execute(asset_runtime) == [dispute["id"]]
    # Split 30/70 as in the full case; the buyer (appellant) forfeits 30 % of both its fees.
    forfeit = ARBITRATION_FEE * 3 // 10 + APPEAL_FEE * 3 // 10
    assert balance(engine, buyer.organization_id) == (
        FUNDS - PRICE_MINOR + 87_500 - forfeit, 0
    )  # fmt: skip
    assert balance(engine, supplier.organization_id) == (36_563, 0)
    assert fee_revenue(engine) == 937
    assert arbitration_fees(asset_runtime) == forfeit
    assert reconciled(engine)
    kinds = [e["kind"] for e in entries(api, f"dispute:{dispute['id']}")]
    assert kinds == [
        "dispute.opened", "arbitrator.drawn", "ruling.issued", "escrow.held", "dispute.appealed",
        "arbitrator.drawn", "ruling.voted", "ruling.voted", "ruling.voted", "ruling.final",
        "ruling.executed",
    ] or kinds.count("ruling.voted") == 3  # fmt: skip


def test_a_settled_order_is_clawed_back_and_refunded(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    engine = asset_runtime.engine
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    deliver(engine, order["id"])
    assert (
        api.post(f"/orders/{order['id']}/accept", headers=keyed(buyer.headers)).status_code == 200
    )
    assert balance(engine, supplier.organization_id) == (PRICE_MINOR - FEE, 0)

    dispute = open_dispute(api, buyer, order["id"])
    assert dispute["clawback"] is True
    assert balance(engine, supplier.organization_id) == (0, PRICE_MINOR - FEE)  # clawed back
    at(monkeypatch, after_evidence(dispute))
    ruled = post_ruling(api, judge, dispute["id"], "refund").json()
    closes = datetime.fromisoformat(ruled["appeal_closes_at"])
    assert execute(asset_runtime, closes) == [dispute["id"]]

    # The buyer has its price back (the fee returned by the exchange) and its arbitration fee.
    assert balance(engine, buyer.organization_id) == (FUNDS, 0)
    assert balance(engine, supplier.organization_id) == (0, 0)
    assert fee_revenue(engine) == 0
    assert arbitration_fees(asset_runtime) == 0
    assert reconciled(engine)
    shown = api.get(f"/orders/{order['id']}", headers=buyer.headers).json()
    assert shown["status"] == "refunded"
