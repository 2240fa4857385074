"""A small exchange for the dispute pages, built through the API: a verified supplier with a
listing, a verified buyer who paid for it, and one verified arbitrator (the draw's only one);
the supplier holds funds for its arbitration fee."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party, operator, party, verify
from tests.marketplace.disputes.conftest import arbitrator
from tests.marketplace.disputes.helpers import FUNDS, paid_order
from tests.marketplace.orders.money import fund

SUPPLIER_EMAIL = "sam@supplier.test"
BUYER_EMAIL = "bo@buyer.test"
JUDGE_EMAIL = "judge1@arbiters1.test"  # tests.marketplace.disputes.conftest.arbitrator(…, 1)


@dataclass
class DisputeWorld:
    ops: Party
    supplier: Party
    buyer: Party
    judge: Party
    order: dict[str, Any]


def dispute_world(api: TestClient, runtime: Runtime) -> DisputeWorld:
    ops = operator(api, runtime)
    supplier = party(api, SUPPLIER_EMAIL, "Sam Supplies", ["supplier"])
    verify(api, ops, supplier)
    buyer = party(api, BUYER_EMAIL, "Bo Buys", ["buyer"])
    verify(api, ops, buyer)
    judge = arbitrator(api, ops, 1)
    order = paid_order(api, runtime, supplier, buyer, ops)
    fund(runtime.engine, supplier.organization_id, FUNDS)  # the respondent's arbitration fee
    return DisputeWorld(ops, supplier, buyer, judge, order)
