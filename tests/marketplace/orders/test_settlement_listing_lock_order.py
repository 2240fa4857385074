"""The settlement job settling a sale while the seller pauses the listing sold: one waits for
the other, never in a cycle. The pause locks the listing, then the journal head. The job locks
the order, then the head (``order.accepted``), then settles the order in the same transaction:

- writing the order a second time makes PostgreSQL check its foreign keys again, which
  key-share-locks the listing (``FOR KEY SHARE``); a pause that locked it ``FOR UPDATE`` made
  that check wait, while the pause waited for the head;
- the sale of an exclusive listing closes the listing, which locks it.

Either way the two deadlocked on PostgreSQL and one was aborted (the job's order failed for the
run, or the supplier got a 503).

The job is held (patched) once it holds the journal head, right after ``order.accepted``, for at
most ``HOLD_S``, while the pause is sent, so that the interleaving is the same every run."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.listings.service import changes
from marketplace.orders.service import periods
from marketplace.orders.settlement_job import SettlementRun, run_once
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import PRICE_MINOR, entries, on_sale
from tests.marketplace.orders.money import deliver, fund, reconciled
from tests.marketplace.orders.test_settlement_http import purchase

#: How long the job waits, holding the journal head, for the pause to lock the listing.
HOLD_S = 2.0


def _settle_while_pausing(
    api: TestClient,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    *,
    supplier: Party,
    buyer: Party,
    listing_id: int,
) -> tuple[int, SettlementRun, Any]:
    """An order of the listing delivered; the job run at its acceptance deadline and held with
    the head while the supplier pauses the listing. (order id, the run, the pause's answer)."""
    engine = runtime.engine
    order_id = int(purchase(api, buyer, listing_id).json()["id"])
    deliver(engine, order_id)
    shown = api.get(f"/orders/{order_id}", headers=buyer.headers).json()
    accept_by = datetime.fromisoformat(shown["accept_by"])
    job_holds_head, pause_holds_listing = threading.Event(), threading.Event()
    after_accept, locked = periods.after_accept, changes._locked

    def held_after_accept(*args: Any, **kwargs: Any) -> Any:
        job_holds_head.set()  # order.accepted is written: the job holds the head
        pause_holds_listing.wait(HOLD_S)
        return after_accept(*args, **kwargs)

    def signalling_locked(*args: Any, **kwargs: Any) -> Any:
        row = locked(*args, **kwargs)
        if threading.current_thread().name != "job":
            pause_holds_listing.set()  # the pause holds the listing; it now wants the head
        return row

    monkeypatch.setattr(periods, "after_accept", held_after_accept)
    monkeypatch.setattr(changes, "_locked", signalling_locked)
    runs: list[SettlementRun] = []
    job = threading.Thread(
        target=lambda: runs.append(run_once(engine, runtime.settings, now=accept_by)),
        name="job",
    )
    job.start()
    assert job_holds_head.wait(30)
    paused = api.post(f"/listings/{listing_id}/pause", headers=supplier.headers)
    job.join(60)
    return order_id, runs[0], paused


def test_pausing_a_listing_while_the_job_settles_a_sale_of_it_is_no_deadlock(
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    *,
    ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fund(asset_runtime.engine, buyer.organization_id, PRICE_MINOR)
    listing_id = int(on_sale(api, supplier, ops)["id"])
    order_id, run, paused = _settle_while_pausing(
        api, asset_runtime, monkeypatch, supplier=supplier, buyer=buyer, listing_id=listing_id
    )
    assert (run.settled, run.failed) == ([order_id], {})
    assert paused.status_code == 200, paused.text
    assert api.get(f"/orders/{order_id}", headers=buyer.headers).json()["status"] == "settled"
    kinds = [e["kind"] for e in entries(api, f"listing:{listing_id}")]
    assert kinds[-1] == "listing.paused"
    assert reconciled(asset_runtime.engine)


def test_pausing_an_exclusive_listing_while_the_job_settles_its_sale_is_no_deadlock(
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    *,
    ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fund(asset_runtime.engine, buyer.organization_id, PRICE_MINOR)
    listing_id = int(on_sale(api, supplier, ops, terms={"exclusive": True})["id"])
    order_id, run, paused = _settle_while_pausing(
        api, asset_runtime, monkeypatch, supplier=supplier, buyer=buyer, listing_id=listing_id
    )
    assert (run.settled, run.failed) == ([order_id], {})
    # The sale closed the listing first (it locked the listing before the head); the pause
    # then finds it closed.
    assert paused.status_code == 409, paused.text
    assert paused.json()["error"] == "listing_state"
    assert api.get(f"/orders/{order_id}", headers=buyer.headers).json()["status"] == "settled"
    kinds = [e["kind"] for e in entries(api, f"listing:{listing_id}")]
    assert kinds[-1] == "listing.closed"
    assert "listing.paused" not in kinds
    assert reconciled(asset_runtime.engine)
