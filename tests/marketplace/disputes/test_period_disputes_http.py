"""A dispute of one period of a subscription, over HTTP (docs/disputes.md, "Disputes of one
period"): a held period is frozen and the settlement job never releases it while the plan runs
on; a period settled within the dispute window is clawed back from the supplier; the executed
ruling moves the period's hold by the orders' arithmetic over the period's amount and fee,
closes the period and leaves the licence and the plan alone; refusals change nothing."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.models import as_utc
from marketplace.orders.settlement_job import run_once
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.disputes.helpers import (
    ARBITRATION_FEE,
    after_evidence,
    at,
    execute,
    post_dispute,
    post_ruling,
)
from tests.marketplace.disputes.test_case_http import arbitration_fees
from tests.marketplace.listings.helpers import TERMS
from tests.marketplace.orders.helpers import entries, keyed, on_sale
from tests.marketplace.orders.money import balance, deliver, fee_revenue, fund, reconciled
from tests.marketplace.orders.test_periods import METERED, MONTHLY, PER_PERIOD, PERIOD_FEE
from tests.marketplace.orders.test_settlement_http import purchase

SPARE = 5  # the buyer's money beyond what the test spends


def _subscription(
    api: TestClient,
    runtime: Runtime,
    supplier: Party,
    buyer: Party,
    ops: Party,
    *,
    periods: int,
    terms: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A delivered subscription of ``periods`` months (its listing's terms the helpers' with
    ``terms``); the buyer funded for all of them and one arbitration fee."""
    fund(runtime.engine, buyer.organization_id, periods * PER_PERIOD + ARBITRATION_FEE + SPARE)
    listing = on_sale(api, supplier, ops, price_model=MONTHLY, terms=terms or {})
    r = purchase(api, buyer, listing["id"], quantity=periods)
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    deliver(runtime.engine, order["id"])
    return order


def _periods(api: TestClient, who: Party, order_id: int) -> list[dict[str, Any]]:
    r = api.get(f"/orders/{order_id}/periods", headers=who.headers)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


def _states(api: TestClient, who: Party, order_id: int) -> list[tuple[int, str]]:
    return [(p["number"], p["status"]) for p in _periods(api, who, order_id)]


def _records(api: TestClient, who: Party, dispute_id: int) -> dict[str, int]:
    """The exchange's records attached to the dispute: kind -> journal seq."""
    r = api.get(f"/disputes/{dispute_id}/evidence", headers=who.headers)
    assert r.status_code == 200, r.text
    return {i["kind"]: i["record_seq"] for i in r.json()["items"] if i["source"] == "system"}


def _order_status(api: TestClient, who: Party, order_id: int) -> str:
    status: str = api.get(f"/orders/{order_id}", headers=who.headers).json()["status"]
    return status


def _rule_and_execute(
    api: TestClient,
    runtime: Runtime,
    judge: Party,
    dispute: dict[str, Any],
    *,
    monkeypatch: pytest.MonkeyPatch,
    outcome: str,
    bp: int | None,
) -> None:
    at(monkeypatch, after_evidence(dispute))
    r = post_ruling(api, judge, dispute["id"], outcome, bp)
    assert r.status_code == 200, r.text
    closes = datetime.fromisoformat(r.json()["appeal_closes_at"])
    assert execute(runtime, closes) == [dispute["id"]]
    assert execute(runtime, closes + timedelta(days=1)) == []  # exactly once


def _no_amounts(entry: dict[str, Any]) -> None:
    """docs/decisions.md, "What the public journal shows of a trade"."""
    keys = set(entry["payload"])
    assert not {k for k in keys if "amount" in k or "fee" in k or k in {"units", "price"}}, keys


@pytest.mark.parametrize(
    ("outcome", "bp", "period_after", "to_supplier", "fee_kept", "to_buyer", "forfeit"),
    [
        # release: the period settles as the job would have settled it; the buyer's fee is lost.
        ("release", None, "settled", PER_PERIOD - PERIOD_FEE, PERIOD_FEE, 0, ARBITRATION_FEE),
        # refund: the period's 40,000 back to the buyer, and its arbitration fee.
        ("refund", None, "refunded", 0, 0, PER_PERIOD, 0),
        # split 30/70 of 40,000 (fee 1,000): the supplier grosses 12,000 and nets 11,700 (the
        # exchange keeps 300); the buyer gets 28,000 and forfeits 3,000 of its fee.
        ("split", 3_000, "partially_refunded", 11_700, 300, 28_000, 3_000),
    ],
)
def test_a_held_period_is_frozen_the_plan_runs_on_and_the_ruling_moves_its_hold(
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
    period_after: str,
    to_supplier: int,
    fee_kept: int,
    to_buyer: int,
    forfeit: int,
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    order = _subscription(api, asset_runtime, supplier, buyer, ops, periods=2)
    [first] = _periods(api, buyer, order["id"])
    assert first["status"] == "held"

    r = post_dispute(api, buyer, order["id"], period=1)
    assert r.status_code == 201, r.text
    dispute = r.json()
    assert (dispute["order_id"], dispute["period"], dispute["clawback"]) == (order["id"], 1, False)
    assert (dispute["hold_id"], dispute["amount_minor"]) == (first["hold_id"], PER_PERIOD)
    assert _records(api, buyer, dispute["id"])["period.charged"] == first["charged_seq"]
    # The plan runs on: period 2 is scheduled as period 1's settlement would have.
    assert _states(api, buyer, order["id"]) == [(1, "disputed"), (2, "due")]
    assert balance(engine, buyer.organization_id) == (
        PER_PERIOD + SPARE, PER_PERIOD + ARBITRATION_FEE
    )  # fmt: skip

    # Period 1 ends: the job charges period 2 and leaves the disputed period 1 alone.
    end = datetime.fromisoformat(first["ends_at"])
    run = run_once(engine, settings, now=end + timedelta(days=1))
    assert (run.periods_settled, run.periods_charged) == ([], [(order["id"], 2)])
    assert _states(api, buyer, order["id"]) == [(1, "disputed"), (2, "held")]
    assert balance(engine, supplier.organization_id) == (0, 0)
    assert fee_revenue(engine) == 0

    _rule_and_execute(
        api, asset_runtime, judge, dispute, monkeypatch=monkeypatch, outcome=outcome, bp=bp
    )
    assert _states(api, buyer, order["id"]) == [(1, period_after), (2, "held")]
    assert balance(engine, supplier.organization_id) == (to_supplier, 0)
    assert fee_revenue(engine) == fee_kept
    assert arbitration_fees(asset_runtime) == forfeit
    assert balance(engine, buyer.organization_id) == (
        SPARE + to_buyer + ARBITRATION_FEE - forfeit, PER_PERIOD  # period 2 still held
    )  # fmt: skip
    # The ruling is about period 1's money: the order (accepted when its acceptance window
    # ended) runs on, and settles after period 2.
    assert _order_status(api, buyer, order["id"]) == "accepted"
    assert reconciled(engine)

    second = _periods(api, buyer, order["id"])[1]
    run = run_once(engine, settings, now=datetime.fromisoformat(second["ends_at"]))
    assert run.periods_settled == [(order["id"], 2)]
    assert _order_status(api, buyer, order["id"]) == "settled"
    assert balance(engine, supplier.organization_id) == (
        to_supplier + PER_PERIOD - PERIOD_FEE, 0
    )  # fmt: skip
    assert reconciled(engine)

    journal = entries(api, f"order:{order['id']}")
    disputed = next(e for e in journal if e["kind"] == "period.disputed")
    closed = next(
        e for e in journal if e["kind"].startswith("period.") and e["payload"].get("dispute_id")
        and e["kind"] != "period.disputed"
    )  # fmt: skip
    assert closed["kind"] == {
        "release": "period.released", "refund": "period.refunded",
        "split": "period.partially_refunded",
    }[outcome]  # fmt: skip
    assert (disputed["payload"]["period"], disputed["payload"]["dispute_id"]) == (1, dispute["id"])
    assert disputed["payload"]["clawback"] is False
    opened = entries(api, f"dispute:{dispute['id']}")[0]
    assert (opened["kind"], opened["payload"]["period"]) == ("dispute.opened", 1)
    executed = entries(api, f"dispute:{dispute['id']}")[-1]
    assert (executed["kind"], executed["payload"]["period"]) == ("ruling.executed", 1)
    for entry in (disputed, closed, opened, executed):
        _no_amounts(entry)


def _settled_period(
    api: TestClient,
    runtime: Runtime,
    supplier: Party,
    buyer: Party,
    ops: Party,
    *,
    terms: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], datetime]:
    """A one-month subscription (its listing's terms the helpers' with ``terms``) whose period
    the job has settled (and so the order); the moment it settled."""
    order = _subscription(api, runtime, supplier, buyer, ops, periods=1, terms=terms)
    end = datetime.fromisoformat(_periods(api, buyer, order["id"])[0]["ends_at"])
    assert run_once(runtime.engine, runtime.settings, now=end).periods_settled == [(order["id"], 1)]
    assert _order_status(api, buyer, order["id"]) == "settled"
    assert balance(runtime.engine, supplier.organization_id) == (PER_PERIOD - PERIOD_FEE, 0)
    return order, end


@pytest.mark.parametrize(
    ("outcome", "bp", "period_after", "supplier_after", "fee_after", "buyer_back"),
    [
        ("release", None, "settled", PER_PERIOD - PERIOD_FEE, PERIOD_FEE, 0),
        ("refund", None, "refunded", 0, 0, PER_PERIOD),
        ("split", 3_000, "partially_refunded", 11_700, 300, 28_000),
    ],
)
def test_a_period_settled_within_the_window_is_clawed_back_and_the_ruling_divides_it(
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
    period_after: str,
    supplier_after: int,
    fee_after: int,
    buyer_back: int,
) -> None:
    engine = asset_runtime.engine
    order, settled = _settled_period(api, asset_runtime, supplier, buyer, ops)
    at(monkeypatch, settled + timedelta(hours=1))
    r = post_dispute(api, buyer, order["id"], period=1)
    assert r.status_code == 201, r.text
    dispute = r.json()
    assert (dispute["period"], dispute["clawback"]) == (1, True)
    period = _periods(api, buyer, order["id"])[0]
    records = _records(api, buyer, dispute["id"])
    assert (records["period.charged"], records["period.settled"]) == (
        period["charged_seq"], period["closed_seq"]
    )  # fmt: skip
    # The supplier's proceeds of the period (40,000 - 1,000) are held back from it.
    assert balance(engine, supplier.organization_id) == (0, PER_PERIOD - PERIOD_FEE)
    assert _states(api, buyer, order["id"]) == [(1, "disputed")]

    _rule_and_execute(
        api, asset_runtime, judge, dispute, monkeypatch=monkeypatch, outcome=outcome, bp=bp
    )
    assert _states(api, buyer, order["id"]) == [(1, period_after)]
    assert balance(engine, supplier.organization_id) == (supplier_after, 0)
    assert fee_revenue(engine) == fee_after
    forfeit = ARBITRATION_FEE * (bp if bp is not None else (10_000 if outcome == "release" else 0))
    forfeit //= 10_000
    assert balance(engine, buyer.organization_id) == (
        SPARE + buyer_back + ARBITRATION_FEE - forfeit, 0
    )  # fmt: skip
    assert _order_status(api, buyer, order["id"]) == "settled"  # the order's own state stays
    assert reconciled(engine)


@pytest.mark.parametrize("window_h", [24, 2_160], ids=["a-day", "ninety-days"])
def test_a_settled_period_may_be_disputed_for_the_window_its_terms_signed(
    *,
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    ops: Party,
    judge: Party,
    monkeypatch: pytest.MonkeyPatch,
    window_h: int,
) -> None:
    """Counted from the period's settlement, shorter or longer than the exchange's 14 days."""
    assert asset_runtime.settings.dispute_window_s == 14 * 24 * 3600
    order, settled = _settled_period(
        api, asset_runtime, supplier, buyer, ops, terms={"dispute_window_h": window_h}
    )
    closes = settled + timedelta(hours=window_h)
    # The deadline each party is shown is the one enforced; the order itself has none (its
    # periods are disputed one by one).
    for party in (buyer, supplier):
        shown = _periods(api, party, order["id"])[0]["dispute_closes_at"]
        assert as_utc(datetime.fromisoformat(shown)) == as_utc(closes)
        r = api.get(f"/orders/{order['id']}", headers=party.headers)
        assert (r.json()["status"], r.json()["dispute_closes_at"]) == ("settled", None)
    at(monkeypatch, closes)
    r = post_dispute(api, buyer, order["id"], period=1)
    assert (r.status_code, r.json()["error"]) == (409, "dispute_window_closed"), r.text
    assert closes.isoformat() in r.json()["message"]
    assert f"{window_h:,} h after settlement" in r.json()["message"]
    assert _states(api, buyer, order["id"]) == [(1, "settled")]

    at(monkeypatch, closes - timedelta(seconds=1))
    r = post_dispute(api, buyer, order["id"], period=1)
    assert r.status_code == 201, r.text
    assert (r.json()["period"], r.json()["clawback"]) == (1, True)
    assert _states(api, buyer, order["id"]) == [(1, "disputed")]
    assert _periods(api, buyer, order["id"])[0]["dispute_closes_at"] is None
    assert balance(asset_runtime.engine, supplier.organization_id) == (0, PER_PERIOD - PERIOD_FEE)


def _world(api: TestClient, runtime: Runtime, orders: list[int], *parties: Party) -> Any:
    """Everything a refusal must leave as it was: the parties' balances, the journal, the
    disputes, the periods."""
    who = parties[0]
    everyone = api.get("/ledger/entries", params={"limit": 500}).json()["items"]
    return (
        [balance(runtime.engine, p.organization_id) for p in parties],
        len(everyone),
        api.get("/disputes", headers=who.headers).json(),
        [_states(api, who, order_id) for order_id in orders],
    )


def test_refusals_of_a_period_dispute_change_nothing(
    *,
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    rival: Party,
    ops: Party,
    judge: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settled, when = _settled_period(api, asset_runtime, supplier, buyer, ops)
    held = _subscription(api, asset_runtime, supplier, buyer, ops, periods=3)  # bought later
    one_off = on_sale(api, supplier, ops)
    fund(asset_runtime.engine, buyer.organization_id, 200_000)
    plain = purchase(api, buyer, one_off["id"]).json()
    first = post_dispute(api, buyer, held["id"], period=1)
    assert first.status_code == 201, first.text
    assert _states(api, buyer, held["id"]) == [(1, "disputed"), (2, "due")]
    parties = (buyer, supplier, rival)
    before = _world(api, asset_runtime, [held["id"], settled["id"]], *parties)

    def refused(who: Party, order_id: int, status: int, error: str, **body: Any) -> str:
        r = post_dispute(api, who, order_id, **body)
        assert (r.status_code, r.json()["error"]) == (status, error), r.text
        assert _world(api, asset_runtime, [held["id"], settled["id"]], *parties) == before
        message: str = r.json()["message"]
        return message

    assert "no period 9" in refused(buyer, held["id"], 404, "period_not_found", period=9)
    assert "no period 1" in refused(buyer, plain["id"], 404, "period_not_found", period=1)
    refused(rival, held["id"], 404, "order_not_found", period=1)  # another organisation's
    refused(buyer, held["id"], 409, "dispute_exists", period=1)
    refused(supplier, held["id"], 409, "dispute_exists", period=1)  # either side: one per period
    assert "name" in refused(buyer, held["id"], 409, "dispute_state")  # the whole plan: no
    refused(buyer, held["id"], 409, "order_state", period=2)  # due: nothing charged yet
    closes = when + timedelta(hours=TERMS["dispute_window_h"])  # the window the listing signed
    at(monkeypatch, closes)
    message = refused(buyer, settled["id"], 409, "dispute_window_closed", period=1)
    assert closes.isoformat() in message
    # A body naming a period 0 or a string is refused before anything is read.
    refused(buyer, held["id"], 422, "invalid_request", period=0)
    refused(buyer, held["id"], 422, "invalid_request", period="1")


def test_both_sides_disputing_one_period_at_once_open_one_dispute(
    *,
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    ops: Party,
    judge: Party,
) -> None:
    engine = asset_runtime.engine
    order = _subscription(api, asset_runtime, supplier, buyer, ops, periods=1)
    fund(engine, supplier.organization_id, ARBITRATION_FEE)
    start = threading.Barrier(2)
    answers: dict[str, Any] = {}

    def dispute(name: str, who: Party) -> None:
        start.wait()
        answers[name] = post_dispute(api, who, order["id"], period=1)

    threads = [
        threading.Thread(target=dispute, args=(name, who))
        for name, who in (("buyer", buyer), ("supplier", supplier))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted((r.status_code, r.json().get("error")) for r in answers.values())
    assert codes == [(201, None), (409, "dispute_exists")], codes
    opener = next(name for name, r in answers.items() if r.status_code == 201)
    # One opener's fee held, the other side's money untouched; the period frozen once.
    held_fees = {
        "buyer": balance(engine, buyer.organization_id)[1] - PER_PERIOD,
        "supplier": balance(engine, supplier.organization_id)[1],
    }
    assert held_fees == {
        side: ARBITRATION_FEE if side == opener else 0 for side in ("buyer", "supplier")
    }
    assert _states(api, buyer, order["id"]) == [(1, "disputed")]
    kinds = [e["kind"] for e in entries(api, f"order:{order['id']}")]
    assert kinds.count("period.disputed") == 1
    assert reconciled(engine)


def test_a_metered_period_paid_out_is_clawed_back_and_split_while_usage_runs_on(
    *,
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    ops: Party,
    judge: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The buyer disputes the usage the supplier reported for a month (30 calls, 3,000, fee 75),
    charged and paid out at the month's end; the ruling splits it half and half."""
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, 20_000 + ARBITRATION_FEE)
    listing = on_sale(api, supplier, ops, price_model=METERED)
    order = purchase(api, buyer, listing["id"]).json()
    usage = api.post(
        f"/orders/{order['id']}/usage", json={"units": 30}, headers=keyed(supplier.headers)
    )
    assert usage.status_code == 200, usage.text
    end = datetime.fromisoformat(_periods(api, buyer, order["id"])[0]["ends_at"])
    assert run_once(engine, settings, now=end).periods_settled == [(order["id"], 1)]
    assert balance(engine, supplier.organization_id) == (3_000 - 75, 0)

    at(monkeypatch, end + timedelta(days=1))
    r = post_dispute(api, buyer, order["id"], period=1, reason="other")
    assert r.status_code == 201, r.text
    dispute = r.json()
    assert (dispute["clawback"], dispute["amount_minor"]) == (True, 3_000)
    assert balance(engine, supplier.organization_id) == (0, 3_000 - 75)
    assert _states(api, buyer, order["id"]) == [(1, "disputed"), (2, "due")]
    assert _records(api, buyer, dispute["id"])["period.charged"] > 0

    _rule_and_execute(
        api, asset_runtime, judge, dispute, monkeypatch=monkeypatch, outcome="split", bp=5_000
    )
    # Gross 1,500 to the supplier, of which the exchange keeps floor(75 x 0.5) = 37; the buyer
    # gets 1,500 back (1,462 of the clawed-back proceeds, 38 of the fee) and forfeits 5,000.
    assert balance(engine, supplier.organization_id) == (1_463, 0)
    assert fee_revenue(engine) == 37
    assert balance(engine, buyer.organization_id) == (20_000 - 3_000 + 1_500 + 5_000, 0)
    assert _states(api, buyer, order["id"]) == [(1, "partially_refunded"), (2, "due")]
    assert reconciled(engine)
