"""Bad purchases (place and pay in one request): each is a clear 4xx with ``{"error",
"message"}``, and leaves no order, no journal entry and nothing held; the buyer's money is where
it was."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from marketplace.identity import signing
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.identity.helpers import siwe_body
from tests.marketplace.orders.helpers import PRICE_MINOR, keyed, on_sale, order_kinds
from tests.marketplace.orders.money import balance, fund, reconciled
from tests.marketplace.orders.test_bad_input_http import BAD_BODIES

FUNDS = 10 * PRICE_MINOR


def _buy(api: TestClient, who: Party, body: dict[str, Any]) -> Any:
    return api.post("/orders/purchase", json=body, headers=keyed(who.headers))


def _nothing_happened(api: TestClient, runtime: Runtime, who: Party) -> None:
    assert order_kinds(api) == []
    assert balance(runtime.engine, who.organization_id) == (FUNDS, 0)
    entries = api.get("/ledger/entries", params={"kind": "escrow.held"}).json()["items"]
    assert entries == []
    assert reconciled(runtime.engine)


EXTRA: list[tuple[str, dict[str, Any]]] = [
    ("unknown currency", {"currency": "XYZ"}),
    ("a price of one's own", {"amount_minor": -1}),
]


@pytest.mark.parametrize("case", BAD_BODIES + EXTRA, ids=[n for n, _ in BAD_BODIES + EXTRA])
def test_a_malformed_purchase_is_a_422_and_holds_nothing(
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    ops: Party,
    *,
    case: tuple[str, dict[str, Any]],
) -> None:
    fund(asset_runtime.engine, buyer.organization_id, FUNDS)
    listing = on_sale(api, supplier, ops)
    r = _buy(api, buyer, {"listing_id": listing["id"], "purpose": "research", **case[1]})
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"error", "message"}
    _nothing_happened(api, asset_runtime, buyer)


def test_no_listing_a_delisted_asset_a_withdrawn_listing_a_forbidden_purpose_an_overflow(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    fund(asset_runtime.engine, buyer.organization_id, FUNDS)
    r = _buy(api, buyer, {"listing_id": 999_999, "purpose": "research"})
    assert (r.status_code, r.json()["error"]) == (404, "listing_not_found")

    delisted = on_sale(api, supplier, ops)
    gone = api.post(f"/assets/{delisted['asset_id']}/delist", headers=supplier.headers)
    assert gone.status_code == 200, gone.text
    r = _buy(api, buyer, {"listing_id": delisted["id"], "purpose": "research"})
    assert (r.status_code, r.json()["error"]) == (409, "not_purchasable")

    withdrawn = on_sale(api, supplier, ops)
    path = f"/listings/{withdrawn['id']}/withdraw"
    assert api.post(path, headers=supplier.headers).status_code == 200
    r = _buy(api, buyer, {"listing_id": withdrawn["id"], "purpose": "research"})
    assert (r.status_code, r.json()["error"]) == (409, "not_purchasable")

    listing = on_sale(api, supplier, ops)
    r = _buy(api, buyer, {"listing_id": listing["id"], "purpose": "commercial"})
    assert (r.status_code, r.json()["error"]) == (422, "purpose_not_permitted")

    monthly = {"kind": "subscription", "amount_minor": 2**62, "period": "month"}
    subscription = on_sale(api, supplier, ops, price_model=monthly)
    r = _buy(api, buyer, {"listing_id": subscription["id"], "purpose": "research", "quantity": 4})
    assert r.status_code == 422, r.text  # 2**64: the price overflows, never wraps
    _nothing_happened(api, asset_runtime, buyer)


def _self_custody_buyer(api: TestClient, ops: Party) -> tuple[Party, Any]:
    wallet = Account.create()
    body = siwe_body(api, wallet, organization={"name": "Own Keys Ltd", "roles": ["buyer"]})
    token = api.post("/auth/siwe", json=body).json()["access_token"]
    me = api.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
    who = Party(token, me["organization"]["id"], me["account"]["address"])
    assert api.post(f"/organizations/{who.organization_id}/verify", headers=ops.headers).is_success
    return who, wallet


def test_a_signature_replayed_expired_or_for_another_chain_or_contract_holds_nothing(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    who, wallet = _self_custody_buyer(api, ops)
    fund(asset_runtime.engine, who.organization_id, FUNDS)
    order = {"listing_id": listing["id"], "purpose": "research"}
    draft = api.post("/orders/draft", json=order, headers=who.headers).json()
    typed = draft["typed_data"]

    def signed(typed_data: dict[str, Any], deadline: int) -> dict[str, Any]:
        signature = signing.sign(bytes(wallet.key), typed_data)
        return {**order, "signature": signature, "nonce": int(draft["nonce"]), "deadline": deadline}

    for domain in (
        {**typed["domain"], "chainId": 1},
        {**typed["domain"], "verifyingContract": "0x" + "22" * 20},
    ):
        r = _buy(api, who, signed({**typed, "domain": domain}, draft["deadline"]))
        assert (r.status_code, r.json()["error"]) == (400, "signature_rejected")
    past = {**typed, "message": {**typed["message"], "deadline": 1}}
    r = _buy(api, who, signed(past, 1))
    assert r.status_code in {400, 409}, r.text  # past its deadline
    assert set(r.json()) == {"error", "message"}
    _nothing_happened(api, asset_runtime, who)

    good = signed(typed, draft["deadline"])
    assert _buy(api, who, good).status_code == 201
    replayed = _buy(api, who, good)  # another Idempotency-Key: a second purchase, same signature
    assert (replayed.status_code, replayed.json()["error"]) == (409, "nonce_reused")
    assert balance(asset_runtime.engine, who.organization_id) == (FUNDS - PRICE_MINOR, PRICE_MINOR)
    assert order_kinds(api) == ["order.placed", "order.paid"]
    assert reconciled(asset_runtime.engine)
