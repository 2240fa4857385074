"""A dispute over HTTP, start to finish: opened on a paid order (its hold frozen), ruled by the
drawn arbitrator once submissions close, executed by the job when the appeal window ends. The
books move exactly as docs/disputes.md says, to the minor unit, and reconcile to zero."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.books.models import AccountKind
from marketplace.books.service.accounts import account
from marketplace.db import unit_of_work
from marketplace.disputes import fees
from marketplace.disputes.service.draw import ALGORITHM, draw, seed
from marketplace.orders import settlement_job
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.disputes.helpers import (
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
from tests.marketplace.orders.helpers import PRICE_MINOR, entries
from tests.marketplace.orders.money import balance, fee_revenue, fund, reconciled


def arbitration_fees(runtime: Runtime) -> int:
    with unit_of_work(runtime.engine) as session:
        return account(session, AccountKind.arbitration_fees, "CNY").balance_minor


def order_status(api: TestClient, who: Party, order_id: int) -> str:
    status: str = api.get(f"/orders/{order_id}", headers=who.headers).json()["status"]
    return status


@pytest.mark.parametrize(
    ("outcome", "bp", "order_after", "buyer_minor", "supplier_minor", "fee_minor", "forfeit"),
    [
        # release: settlement as usual; the buyer lost, its arbitration fee goes to the exchange.
        ("release", None, "settled", 0, PRICE_MINOR - FEE, FEE, ARBITRATION_FEE),
        # refund: everything back to the buyer, and its fee too.
        ("refund", None, "refunded", PRICE_MINOR, 0, 0, 0),
        # split 30/70: gross 37,500 to the supplier, of which the fee kept floor(3,125 x 0.3) =
        # 937; the buyer 87,500 and floor(10,000 x 0.3) = 3,000 of its fee forfeited.
        ("split", 3000, "partially_refunded", 87_500, 36_563, 937, 3_000),
    ],
)
def test_a_full_case_executes_the_books_exactly(
    *,
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    ops: Party,
    judge: Party,
    monkeypatch: pytest.MonkeyPatch,
    outcome: str,
    bp: int | None,
    order_after: str,
    buyer_minor: int,
    supplier_minor: int,
    fee_minor: int,
    forfeit: int,
) -> None:
    engine = asset_runtime.engine
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    dispute = open_dispute(api, buyer, order["id"])
    assert (dispute["status"], dispute["opener_side"], dispute["clawback"]) == (
        "open",
        "buyer",
        False,
    )
    assert dispute["hold_id"] == order["hold_id"]
    assert [a["organization_id"] for a in dispute["assignments"]] == [judge.organization_id]
    assert order_status(api, buyer, order["id"]) == "disputed"
    assert balance(engine, buyer.organization_id) == (
        FUNDS - PRICE_MINOR - ARBITRATION_FEE, PRICE_MINOR + ARBITRATION_FEE
    )  # fmt: skip

    # The settlement job leaves a disputed order alone, however late it runs.
    later = datetime.fromisoformat(dispute["evidence_closes_at"]) + timedelta(days=400)
    settlement_job.run_once(engine, asset_runtime.settings, now=later)
    assert order_status(api, buyer, order["id"]) == "disputed"

    at(monkeypatch, after_evidence(dispute))
    r = post_ruling(api, judge, dispute["id"], outcome, bp)
    assert r.status_code == 200, r.text
    ruled = r.json()
    assert (ruled["status"], ruled["outcome"]) == ("ruled", outcome)
    assert ruled["supplier_bp"] == fees.outcome_bp(outcome, bp)
    assert ruled["rulings"][0]["signer"] == judge.address
    appeal_closes = datetime.fromisoformat(ruled["appeal_closes_at"])

    assert execute(asset_runtime, appeal_closes - timedelta(seconds=1)) == []  # not yet
    assert execute(asset_runtime, appeal_closes) == [dispute["id"]]
    assert execute(asset_runtime, appeal_closes + timedelta(days=1)) == []  # once

    assert balance(engine, buyer.organization_id) == (
        FUNDS - PRICE_MINOR - ARBITRATION_FEE + buyer_minor + ARBITRATION_FEE - forfeit, 0
    )  # fmt: skip
    assert balance(engine, supplier.organization_id) == (supplier_minor, 0)
    assert fee_revenue(engine) == fee_minor
    assert arbitration_fees(asset_runtime) == forfeit
    assert reconciled(engine)
    assert order_status(api, buyer, order["id"]) == order_after
    # A refund or a split ends the buyer's licence; a release leaves it.
    order_kinds = [e["kind"] for e in entries(api, f"order:{order['id']}")]
    closing = {"settled": "order.released", "refunded": "order.refunded"}
    assert closing.get(order_after, "order.partially_refunded") in order_kinds
    assert ("licence.ended" in order_kinds) == (outcome != "release")
    shown = api.get(f"/disputes/{dispute['id']}", headers=buyer.headers).json()
    assert (shown["status"], shown["executed_seq"] is not None) == ("executed", True)

    journaled = entries(api, f"dispute:{dispute['id']}")
    ours = ("dispute.", "arbitrator.", "ruling.")
    assert [e["kind"] for e in journaled if e["kind"].startswith(ours)] == [
        "dispute.opened", "arbitrator.drawn", "ruling.issued", "ruling.executed",
    ]  # fmt: skip
    for entry in journaled:  # the public journal shows no amounts
        assert not any("amount" in key or "price" in key for key in entry["payload"]), entry


def test_the_draw_is_recomputed_from_its_journal_entry_alone(
    *,
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    ops: Party,
    judge: Party,
) -> None:
    from tests.marketplace.disputes.conftest import arbitrator

    others = [arbitrator(api, ops, n) for n in (2, 3, 4)]
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    dispute = open_dispute(api, buyer, order["id"])
    drawn = next(
        e for e in entries(api, f"dispute:{dispute['id']}") if e["kind"] == "arbitrator.drawn"
    )
    payload: dict[str, Any] = drawn["payload"]
    assert payload["algorithm"] == ALGORITHM
    assert len(payload["pool"]) == 1 + len(others)
    recomputed = seed(drawn["prev_hash"], dispute["id"], payload["round"])
    assert recomputed.hex() == payload["seed"]
    assert draw(recomputed, payload["pool"], payload["k"]) == payload["chosen"]
    assert [a["account_id"] for a in dispute["assignments"]] == payload["chosen"]


def test_an_arbitrator_of_the_buyers_organisation_is_never_drawn(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party
) -> None:
    from tests.marketplace.assets.helpers import party, verify

    engine = asset_runtime.engine
    from tests.marketplace.disputes.conftest import make_arbitrator

    both = party(api, "dora@judging-buyer.test", "Dora Judging Buyers", ["buyer"])
    verify(api, ops, both)
    make_arbitrator(api, ops, both)
    order = paid_order(api, asset_runtime, supplier, both, ops)
    before = balance(engine, both.organization_id)
    r = api.post(
        f"/orders/{order['id']}/disputes",
        json={"reason": "not_delivered", "statement": "Nothing came."},
        headers={**both.headers, "Idempotency-Key": "k-none"},
    )
    assert (r.status_code, r.json()["error"]) == (409, "no_arbitrator")
    assert balance(engine, both.organization_id) == before  # nothing held, nothing written
    assert order_status(api, both, order["id"]) == "paid"
    assert api.get("/disputes", headers=both.headers).json()["items"] == []

    from tests.marketplace.disputes.conftest import arbitrator

    judge = arbitrator(api, ops, 7)
    dispute = open_dispute(api, both, order["id"])
    assert [a["organization_id"] for a in dispute["assignments"]] == [judge.organization_id]


def test_who_sees_a_dispute(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, rival: Party,
) -> None:  # fmt: skip
    from tests.marketplace.disputes.conftest import arbitrator

    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    fund(asset_runtime.engine, supplier.organization_id, ARBITRATION_FEE)  # its fee to open
    dispute = open_dispute(api, supplier, order["id"])
    assert dispute["opener_side"] == "supplier"
    outsider = arbitrator(api, ops, 9)  # verified, but not drawn for it
    for who, status in (
        (buyer, 200),
        (supplier, 200),
        (judge, 200),
        (ops, 200),
        (outsider, 404),
        (rival, 404),
    ):
        r = api.get(f"/disputes/{dispute['id']}", headers=who.headers)
        assert r.status_code == status, (who, r.text)
        listed = api.get("/disputes", headers=who.headers).json()["items"]
        assert [d["id"] for d in listed] == ([dispute["id"]] if status == 200 else [])
        if status == 200:  # the statement is the parties' and arbitrators'; operators see its hash
            shown = None if who is ops else "Half the rows are missing."
            assert r.json()["statement"] == listed[0]["statement"] == shown
            assert r.json()["statement_sha256"] == dispute["statement_sha256"]
    assert (
        api.get(f"/disputes/{dispute['id']}", headers=outsider.headers).json()["error"]
        == "dispute_not_found"
    )


def test_an_arbitrator_that_traded_with_a_party_lately_is_not_drawn(
    *, api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    from tests.marketplace.disputes.conftest import arbitrator
    from tests.marketplace.disputes.helpers import post_dispute
    from tests.marketplace.orders.helpers import on_sale, place

    trader = arbitrator(api, ops, 11)
    place(api, trader, on_sale(api, supplier, ops)["id"])  # an order with the supplier
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    r = post_dispute(api, buyer, order["id"])
    assert (r.status_code, r.json()["error"]) == (409, "no_arbitrator")

    clean = arbitrator(api, ops, 12)
    dispute = open_dispute(api, buyer, order["id"])
    assert [a["organization_id"] for a in dispute["assignments"]] == [clean.organization_id]
    drawn = next(
        e for e in entries(api, f"dispute:{dispute['id']}") if e["kind"] == "arbitrator.drawn"
    )
    assert drawn["payload"]["pool_addresses"] == [clean.address]
