"""A buyer that disputes its order before downloading it may still download the data, as
evidence or to check it: the download is served and journaled, and the order stays disputed,
its money frozen for the ruling. (It was a 409 ``order_state``: the first download tried to
move the disputed order to ``delivered``.)"""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.delivery.helpers import issued, licensed
from tests.marketplace.disputes.helpers import ARBITRATION_FEE, open_dispute
from tests.marketplace.orders.helpers import PRICE_MINOR, entries
from tests.marketplace.orders.money import balance, fund, reconciled


def test_an_order_disputed_before_its_first_download_can_be_downloaded(
    api: TestClient,
    asset_runtime: Runtime,
    *,
    supplier: Party,
    ops: Party,
    buyer: Party,
    judge: Party,
) -> None:
    engine = asset_runtime.engine
    order, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    fund(engine, buyer.organization_id, ARBITRATION_FEE)
    open_dispute(api, buyer, order["id"])

    url = issued(api, buyer, licence_id)
    got = api.get(url["path"])
    assert got.status_code == 200, got.text
    [served] = [e for e in entries(api, f"order:{order['id']}") if e["kind"] == "delivery.served"]
    assert served["seq"] == url["served_seq"]
    assert served["payload"]["sha256"] == hashlib.sha256(got.content).hexdigest()

    shown = api.get(f"/orders/{order['id']}", headers=buyer.headers).json()
    assert (shown["status"], shown["delivered_at"]) == ("disputed", None)
    kinds = [e["kind"] for e in entries(api, f"order:{order['id']}")]
    assert "order.delivered" not in kinds
    assert balance(engine, buyer.organization_id) == (0, PRICE_MINOR + ARBITRATION_FEE)
    assert balance(engine, supplier.organization_id) == (0, 0)
    assert reconciled(engine)
    assert api.get(issued(api, buyer, licence_id)["path"]).status_code == 200  # and again
