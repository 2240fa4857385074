"""The demand service as other domains and the sweep call it: fulfilling (the quotes domain),
expiring at the deadline, and the demand a quote answers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace.db import unit_of_work
from marketplace.matching import service
from marketplace.matching.errors import DemandNotFound, DemandStateConflict
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.matching.helpers import journal_kinds, post_demand

EXCHANGE = "0x" + "ab" * 20


def _deadline(demand: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(demand["deadline"]))


def test_fulfilling_an_open_demand_records_the_quote_and_journals_it(
    api: TestClient, asset_runtime: Runtime, buyer: Party
) -> None:
    demand = post_demand(api, buyer)
    with unit_of_work(asset_runtime.engine) as session:
        shown = service.fulfil(session, demand["id"], 77)
    assert (shown.status, shown.fulfilled_by_quote_id) == ("fulfilled", 77)
    seen = api.get(f"/demands/{demand['id']}", headers=buyer.headers).json()
    assert (seen["status"], seen["fulfilled_by_quote_id"]) == ("fulfilled", 77)
    assert journal_kinds(api, buyer, demand["id"]) == ["demand.posted", "demand.fulfilled"]
    with unit_of_work(asset_runtime.engine) as session, pytest.raises(DemandStateConflict) as r:
        service.fulfil(session, demand["id"], 78)
    assert str(r.value) == "cannot fulfil a demand that is fulfilled; it must be open"


def test_fulfilling_a_demand_that_does_not_exist_is_a_404(asset_runtime: Runtime) -> None:
    with Session(asset_runtime.engine) as session, pytest.raises(DemandNotFound):
        service.fulfil(session, 12345, 1)


def test_a_demand_past_its_deadline_can_be_neither_fulfilled_nor_quoted(
    api: TestClient, asset_runtime: Runtime, buyer: Party
) -> None:
    demand = post_demand(api, buyer)
    later = _deadline(demand) + timedelta(seconds=1)
    with Session(asset_runtime.engine) as session, pytest.raises(DemandStateConflict) as r:
        service.fulfil(session, demand["id"], 1, now=later)
    assert str(r.value) == "cannot fulfil a demand that is expired; it must be open"
    with Session(asset_runtime.engine) as session, pytest.raises(DemandStateConflict) as r:
        service.open_for_quote(session, demand["id"], later)
    assert str(r.value) == f"demand {demand['id']} is expired; only an open demand is quoted"


def test_the_sweep_journals_each_due_demand_once(
    api: TestClient, asset_runtime: Runtime, buyer: Party
) -> None:
    early = post_demand(api, buyer)
    late = post_demand(api, buyer, deadline=(_deadline(early) + timedelta(days=10)).isoformat())
    between = _deadline(early) + timedelta(days=1)
    with unit_of_work(asset_runtime.engine) as session:
        assert service.expire_due(session, between, EXCHANGE) == [early["id"]]
    with unit_of_work(asset_runtime.engine) as session:
        assert service.expire_due(session, between, EXCHANGE) == []
    assert journal_kinds(api, buyer, early["id"]) == ["demand.posted", "demand.expired"]
    assert journal_kinds(api, buyer, late["id"]) == ["demand.posted"]
    assert api.get(f"/demands/{early['id']}", headers=buyer.headers).json()["status"] == "expired"


def test_the_demand_a_quote_answers_names_its_buyer(
    api: TestClient, asset_runtime: Runtime, buyer: Party
) -> None:
    demand = post_demand(api, buyer)
    with Session(asset_runtime.engine) as session:
        shown = service.open_for_quote(
            session, demand["id"], datetime.fromisoformat(demand["created_at"])
        )
    assert shown.buyer_organization_id == buyer.organization_id
