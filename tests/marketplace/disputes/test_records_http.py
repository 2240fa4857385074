"""The exchange's records attached to a dispute as evidence when it opens (over HTTP), each
naming its journal entry."""

from __future__ import annotations

from eth_utils.crypto import keccak
from fastapi.testclient import TestClient

from ledger.models import utc_now
from marketplace.db import unit_of_work
from marketplace.disputes import repository
from marketplace.disputes.service import records
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.delivery.helpers import issued, licensed
from tests.marketplace.disputes.helpers import ARBITRATION_FEE, open_dispute, sha256
from tests.marketplace.orders.helpers import entries
from tests.marketplace.orders.money import fund


def _attach(runtime: Runtime, dispute_id: int) -> int:
    with unit_of_work(runtime.engine) as session:
        dispute = repository.get(session, dispute_id)
        assert dispute is not None
        return len(records.attach(session, dispute, utc_now()))


def test_a_delivered_orders_records_are_attached_with_their_journal_seqs(
    api: TestClient,
    asset_runtime: Runtime,
    *,
    supplier: Party,
    ops: Party,
    buyer: Party,
    judge: Party,
) -> None:
    order, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    served = [issued(api, buyer, licence_id)["served_seq"] for _ in range(2)]
    fund(asset_runtime.engine, buyer.organization_id, ARBITRATION_FEE)  # the opener's fee
    dispute = open_dispute(api, buyer, order["id"])["id"]

    items = api.get(f"/disputes/{dispute}/evidence", headers=supplier.headers).json()["items"]
    by_kind = {(i["kind"], i["record_seq"]) for i in items}
    assert ("order.placed", order["placed_seq"]) in by_kind
    assert {("delivery.served", seq) for seq in served} <= by_kind
    kinds = [i["kind"] for i in items]
    assert {"listing.created", "asset.registered"} <= set(kinds)
    assert all(i["source"] == "system" and i["side"] is None for i in items)

    placed = next(i for i in items if i["kind"] == "order.placed")
    got = api.get(f"/disputes/{dispute}/evidence/{placed['id']}/file", headers=buyer.headers)
    assert got.status_code == 200, got.text
    assert sha256(got.content) == placed["sha256"]
    (entry,) = [e for e in entries(api, f"order:{order['id']}") if e["seq"] == order["placed_seq"]]
    assert "0x" + keccak(got.content).hex() == entry["entry_hash"]  # the anchored entry itself

    assert _attach(asset_runtime, dispute) == 0  # attaching again adds nothing
