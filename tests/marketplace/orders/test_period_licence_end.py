"""A subscription that stops — its renewal refused, or its periods bought over without
renewal — ends its licence with the last period paid for: ``orders.service.stop_hooks`` get the
order and that moment, and delivery's ``end_licence_at`` makes the licence expire there."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace.db import unit_of_work
from marketplace.delivery import service as delivery
from marketplace.orders import service as orders
from marketplace.orders.settlement_job import run_once
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import on_sale
from tests.marketplace.orders.money import fund
from tests.marketplace.orders.test_periods import MONTHLY, PER_PERIOD, _end, _periods
from tests.marketplace.orders.test_settlement_http import purchase


@pytest.fixture
def stops() -> Iterator[list[tuple[int, datetime]]]:
    seen: list[tuple[int, datetime]] = []

    def record(session: Session, order_id: int, at: datetime) -> None:
        seen.append((order_id, at))

    orders.stop_hooks.append(record)
    yield seen
    orders.stop_hooks.remove(record)


def test_the_hooks_hear_when_a_subscription_ends_unrenewed_or_refused(
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    *,
    ops: Party,
    stops: list[tuple[int, datetime]],
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, 2 * PER_PERIOD)
    plain = purchase(api, buyer, on_sale(api, supplier, ops, price_model=MONTHLY)["id"]).json()
    renewing = on_sale(api, supplier, ops, price_model={**MONTHLY, "auto_renew": True})
    short = purchase(api, buyer, renewing["id"]).json()
    renewal = {"auto_renew": True}
    r = api.post(f"/orders/{short['id']}/renewal", json=renewal, headers=buyer.headers)
    assert r.status_code == 200, r.text
    ends = {o["id"]: _end(_periods(api, buyer, o["id"])[0]) for o in (plain, short)}
    assert stops == []
    run_once(engine, settings, now=max(ends.values()))
    assert sorted(stops) == sorted((i, end) for i, end in ends.items())


def test_ending_a_licence_makes_it_expire_then(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine = asset_runtime.engine
    fund(engine, buyer.organization_id, PER_PERIOD)
    order = purchase(api, buyer, on_sale(api, supplier, ops, price_model=MONTHLY)["id"]).json()
    with unit_of_work(engine) as session:  # paying granted it (delivery's paid hook)
        licence = delivery.licence_for_order(session, order["id"])
    assert licence is not None
    licence_id = licence.id
    before = api.get(f"/licences/{licence_id}", headers=buyer.headers).json()["expires_at"]
    at = _end(_periods(api, buyer, order["id"])[0])
    assert datetime.fromisoformat(before) > at
    with unit_of_work(engine) as session:
        delivery.end_licence_at(session, order["id"], at)
        delivery.end_licence_at(session, order["id"], at + timedelta(days=5))  # never later
    shown = api.get(f"/licences/{licence_id}", headers=buyer.headers).json()
    assert datetime.fromisoformat(shown["expires_at"]) == at


def test_a_subscription_bought_over_ends_its_licence_with_its_last_period(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, PER_PERIOD)
    order = purchase(api, buyer, on_sale(api, supplier, ops, price_model=MONTHLY)["id"]).json()
    end = _end(_periods(api, buyer, order["id"])[0])
    run_once(engine, settings, now=end)  # the one period bought settles; no renewal
    (licence,) = api.get("/licences", headers=buyer.headers).json()["items"]
    assert datetime.fromisoformat(licence["expires_at"]) == end
