"""Issue 13's acceptance, end to end over HTTP on each database and each chain: deposit →
purchase (order + escrow) → signed download URL → download (the bytes match the
``delivery.served`` entry's sha256) → the buyer's receipt → accept → settlement. The supplier
gains the price minus the fee, the exchange the fee, the books reconcile to zero, and every
step's journal entry has a receipt that verifies against the chain once anchored."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.chain import Web3AnchorChain
from ledger.chain.base import AnchorChain
from ledger.verify import parse_receipt, verify_receipt
from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import CSV, operator, party, verify
from tests.marketplace.books.helpers import balance, deposit, payment
from tests.marketplace.orders.helpers import PRICE_MINOR, entries, keyed, on_sale
from tests.marketplace.orders.money import fee_revenue

FEE = PRICE_MINOR * 250 // 10_000  # the default 2.5 %
ANCHOR = AnchorConfig(batch_entries_max=1000, batch_age_s=0, poll_s=0.01)


class _Borrowed:
    """The fixture's chain, which the verifier may 'close' without closing it."""

    def __init__(self, chain: AnchorChain) -> None:
        self._chain = chain

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chain, name)

    def close(self) -> None:
        pass


@pytest.fixture
def chained(engine: Engine, anchor_chain: Web3AnchorChain, tmp_path: Path) -> Iterator[TestClient]:
    runtime = Runtime(
        settings=settings_for(engine, blob_url=f"file://{tmp_path / 'blobs'}"), engine=engine
    )
    runtime.chain_id = anchor_chain.chain_id
    runtime.contract_address = anchor_chain.contract_address
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as c:
        c.app_state_runtime = runtime  # type: ignore[attr-defined]
        yield c


def _ok(r: Any, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body


def test_deposit_buy_download_receipt_accept_settle_and_every_entry_verifies(
    chained: TestClient, engine: Engine, anchor_chain: Web3AnchorChain
) -> None:
    api = chained
    runtime: Runtime = api.app_state_runtime  # type: ignore[attr-defined]
    ops = operator(api, runtime)
    supplier = party(api, "dora@supplier.test", "Dora Data", ["supplier"])
    buyer = party(api, "carol@buyer.test", "Carol Analytics", ["buyer"])
    for who in (supplier, buyer):
        verify(api, ops, who)
    listing = on_sale(api, supplier, ops)

    recorded = deposit(api, buyer, 200_000)
    _ok(recorded, 201)
    paid_in = payment(api, buyer, recorded)  # the provider is called after the commit
    assert paid_in["status"] == "confirmed"
    order = _ok(api.post(
        "/orders/purchase", json={"listing_id": listing["id"], "purpose": "research"},
        headers=keyed(buyer.headers),
    ), 201)  # fmt: skip
    assert (order["status"], order["fee_minor"]) == ("paid", FEE)
    assert balance(api, buyer) == (200_000 - PRICE_MINOR, PRICE_MINOR)

    licences = _ok(api.get("/licences", headers=buyer.headers))["items"]
    assert [x["order_id"] for x in licences] == [order["id"]]
    url = _ok(api.post(f"/licences/{licences[0]['id']}/download-url", headers=buyer.headers), 201)
    got = api.get(url["path"])
    assert got.status_code == 200
    assert got.content == CSV
    sha256 = hashlib.sha256(got.content).hexdigest()
    served = [e for e in entries(api, f"order:{order['id']}") if e["kind"] == "delivery.served"]
    assert [(e["seq"], e["payload"]["sha256"]) for e in served] == [(url["served_seq"], sha256)]
    assert _ok(api.get(f"/orders/{order['id']}", headers=buyer.headers))["status"] == "delivered"

    receipt = _ok(api.post(
        f"/licences/{licences[0]['id']}/receipt",
        json={"served_seq": url["served_seq"], "sha256": sha256}, headers=buyer.headers,
    ), 201)  # fmt: skip
    done = _ok(api.post(f"/orders/{order['id']}/accept", headers=keyed(buyer.headers)))
    assert done["status"] == "settled"

    assert balance(api, supplier) == (PRICE_MINOR - FEE, 0)
    assert balance(api, buyer) == (200_000 - PRICE_MINOR, 0)
    assert fee_revenue(engine) == FEE
    books = _ok(api.get("/books/reconcile", headers=ops.headers))
    assert (books["ok"], books["total_minor"], books["problems"]) == (True, 0, [])
    exchange = {a["kind"]: a["balance_minor"] for a in books["exchange_accounts"]}
    assert exchange["fee_revenue"] == FEE  # the operator reads the exchange's fee there
    assert exchange["clearing"] == -200_000  # everyone's money, as it came in

    steps = entries(api, f"order:{order['id']}") + entries(api, f"hold:{order['hold_id']}")
    by_kind = {e["kind"]: e for e in steps}
    assert set(by_kind) == {
        "order.placed", "escrow.held", "order.paid", "licence.granted", "delivery.served",
        "order.delivered", "delivery.receipted", "order.accepted", "order.settled",
        "settlement.released",
    }  # fmt: skip
    assert by_kind["order.accepted"]["payload"]["receipt_seq"] == receipt["journal_seq"]
    assert by_kind["delivery.receipted"]["seq"] == receipt["journal_seq"]
    deposits = [
        e for e in api.get("/ledger/entries", params={"limit": 500}).json()["items"]
        if e["kind"] == "payment.deposited"
    ]  # fmt: skip
    assert [e["payload"]["payment_id"] for e in deposits] == [paid_in["id"]]

    AnchorWorker(engine, lambda: anchor_chain, ANCHOR).run_until_anchored(timeout_s=60)
    for entry in [*steps, *deposits]:
        doc = _ok(api.get(f"/ledger/entries/{entry['seq']}/receipt"))
        summary = verify_receipt(parse_receipt(json.dumps(doc)), lambda _: _Borrowed(anchor_chain))
        assert summary.startswith(f"valid: entry {entry['seq']} "), summary
        if entry["kind"] in ("order.placed", "delivery.receipted"):  # the buyer's signatures
            assert summary.endswith(f"; signed by its actor {buyer.address}"), summary
