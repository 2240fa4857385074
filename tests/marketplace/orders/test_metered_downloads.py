"""A metered listing priced per download: the exchange counts the downloads it served under the
order's licence (each issued URL, each a ``delivery.served`` entry) and charges each period from
its own count at the period's end; neither party reports that usage
(docs/orders.md#subscriptions-and-metered-usage)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from marketplace.delivery.models import Download
from marketplace.delivery.service import licence_for_order
from marketplace.orders.settlement_job import run_once
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import entries, keyed, on_sale
from tests.marketplace.orders.money import balance, fund, reconciled
from tests.marketplace.orders.test_settlement_http import purchase

PER_DOWNLOAD: dict[str, Any] = {
    "kind": "metered", "unit": "download", "unit_price_minor": 300, "cap_minor": 1_000,
}  # fmt: skip
UNLIMITED: dict[str, Any] = {"max_downloads": None}
FEE_BP = 250  # the default fee rate


def _periods(api: TestClient, who: Party, order_id: int) -> list[dict[str, Any]]:
    r = api.get(f"/orders/{order_id}/periods", headers=who.headers)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


def _download(api: TestClient, buyer: Party, licence_id: int) -> None:
    r = api.post(f"/licences/{licence_id}/download-url", headers=buyer.headers)
    assert r.status_code == 201, r.text


def _licence(runtime: Runtime, order_id: int) -> int:
    with Session(runtime.engine) as session:
        found = licence_for_order(session, order_id)
    assert found is not None
    return found.id


def _issued_at(runtime: Runtime, licence_id: int, at: datetime, *, first: int = 0) -> None:
    """Time passes: the licence's downloads from the ``first``-th on (oldest first) were issued
    ``at``."""
    with Session(runtime.engine) as session:
        query = select(Download).where(col(Download.licence_id) == licence_id)
        for row in session.exec(query.order_by(col(Download.id))).all()[first:]:
            row.issued_at = at
            session.add(row)
        session.commit()


def test_the_period_charge_is_the_exchanges_count_of_downloads_served(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, 20_000)
    listing = on_sale(api, supplier, ops, price_model=PER_DOWNLOAD, terms=UNLIMITED)
    assert "3.00 CNY per download" in listing["price_plain"]
    order = purchase(api, buyer, listing["id"]).json()
    assert order["status"] == "paid"
    licence_id = _licence(asset_runtime, order["id"])
    for _ in range(2):
        _download(api, buyer, licence_id)

    # Neither party's claim counts: the supplier cannot report usage, nor the buyer.
    for who in (supplier, buyer):
        r = api.post(f"/orders/{order['id']}/usage", json={"units": 50},
                     headers=keyed(who.headers))  # fmt: skip
        assert r.status_code in (403, 409), r.text
    claimed = api.post(f"/orders/{order['id']}/usage", json={"units": 50},
                       headers=keyed(supplier.headers))  # fmt: skip
    assert claimed.status_code == 409
    assert "the exchange counts the downloads it serves" in claimed.json()["message"]

    first = _periods(api, buyer, order["id"])[0]
    end = datetime.fromisoformat(first["ends_at"])
    run = run_once(engine, settings, now=end)
    assert run.periods_charged == [(order["id"], 1)]
    charged, following = _periods(api, buyer, order["id"])
    assert (charged["status"], charged["units"], charged["amount_minor"]) == ("settled", 2, 600)
    fee = 600 * FEE_BP // 10_000
    assert balance(engine, buyer.organization_id) == (20_000 - 600, 0)
    assert balance(engine, supplier.organization_id) == (600 - fee, 0)
    charge_entry = next(
        e for e in entries(api, f"order:{order['id']}")
        if e["kind"] == "period.charged" and e["payload"]["period"] == 1
    )  # fmt: skip
    assert charge_entry["payload"]["usage_counted_by"] == "exchange"
    assert "units" not in charge_entry["payload"]  # units times the public unit price: the price

    # Period 2: five downloads, charged up to the cap; downloads after its end are period 3's.
    for _ in range(5):
        _download(api, buyer, licence_id)
    second_end = datetime.fromisoformat(following["ends_at"])
    _issued_at(asset_runtime, licence_id, second_end - timedelta(days=1), first=2)
    _download(api, buyer, licence_id)
    _issued_at(asset_runtime, licence_id, second_end, first=7)  # as period 3 begins
    run_once(engine, settings, now=second_end)
    second = _periods(api, buyer, order["id"])[1]
    assert (second["status"], second["units"], second["amount_minor"]) == ("settled", 5, 1_000)
    assert balance(engine, buyer.organization_id) == (20_000 - 1_600, 0)
    assert reconciled(engine)


def test_a_period_without_downloads_is_waived(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, 5_000)
    listing = on_sale(api, supplier, ops, price_model=PER_DOWNLOAD, terms=UNLIMITED)
    order = purchase(api, buyer, listing["id"]).json()
    licence_id = _licence(asset_runtime, order["id"])
    first = _periods(api, buyer, order["id"])[0]
    end = datetime.fromisoformat(first["ends_at"])
    _download(api, buyer, licence_id)
    _issued_at(asset_runtime, licence_id, end)  # served as the next period began
    run_once(engine, settings, now=end)
    waived = _periods(api, buyer, order["id"])[0]
    assert (waived["status"], waived["units"], waived["amount_minor"]) == ("waived", 0, 0)
    assert balance(engine, buyer.organization_id) == (5_000, 0)
    assert reconciled(engine)
