"""Hostile and malformed order requests: each is a clear 4xx with ``{"error", "message"}``,
never a 500, and leaves no order and no journal entry. A buyer cannot set its own price or
source, nor sign for another chain."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from marketplace.identity import signing
from tests.marketplace.assets.helpers import Party
from tests.marketplace.identity.helpers import siwe_body
from tests.marketplace.orders.helpers import keyed, on_sale, order_kinds

HUGE = 2**63

BAD_BODIES: list[tuple[str, dict[str, Any]]] = [
    ("unknown field", {"price_minor": 1}),
    ("own source", {"source": "quote", "source_id": 1}),
    ("listing id 0", {"listing_id": 0}),
    ("listing id too big", {"listing_id": HUGE}),
    ("listing id as text", {"listing_id": "one"}),
    # Not coerced: true and "1" would buy listing 1, and 1.0 too.
    ("listing id true", {"listing_id": True}),
    ("listing id as a numeral", {"listing_id": "1"}),
    ("listing id as a float", {"listing_id": 1.0}),
    ("quantity true", {"quantity": True}),
    ("quantity as a numeral", {"quantity": "1"}),
    ("nonce as a float", {"signature": "0x" + "11" * 65, "nonce": 1.0, "deadline": 1}),
    ("deadline true", {"signature": "0x" + "11" * 65, "nonce": 1, "deadline": True}),
    ("no purpose", {"purpose": None}),
    ("empty purpose", {"purpose": ""}),
    ("long purpose", {"purpose": "r" * 10_000}),
    ("quantity 0", {"quantity": 0}),
    ("negative quantity", {"quantity": -1}),
    ("quantity too big", {"quantity": HUGE}),
    ("float quantity", {"quantity": 1.5}),
    ("signature alone", {"signature": "0x" + "11" * 65}),
    ("signature not hex", {"signature": "zz", "nonce": 1, "deadline": 1}),
    ("nonce over uint256", {"signature": "0x" + "11" * 65, "nonce": 2**256, "deadline": 1}),
    ("negative deadline", {"signature": "0x" + "11" * 65, "nonce": 1, "deadline": -1}),
]


@pytest.mark.parametrize("case", BAD_BODIES, ids=[name for name, _ in BAD_BODIES])
def test_a_malformed_order_is_a_422_and_writes_nothing(
    api: TestClient, supplier: Party, buyer: Party, ops: Party, case: tuple[str, dict[str, Any]]
) -> None:
    listing = on_sale(api, supplier, ops)
    body = {"listing_id": listing["id"], "purpose": "research", **case[1]}
    r = api.post("/orders", json=body, headers=keyed(buyer.headers))
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"error", "message"}
    assert order_kinds(api) == []


def test_a_fixed_price_licence_is_bought_one_at_a_time(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    r = api.post(
        "/orders", json={"listing_id": listing["id"], "purpose": "research", "quantity": 2},
        headers=keyed(buyer.headers),
    )  # fmt: skip
    assert r.status_code == 422, r.text
    assert "quantity" in r.json()["message"]
    assert order_kinds(api) == []


def test_not_json_and_nested_json_are_refused(api: TestClient, buyer: Party) -> None:
    headers = {**keyed(buyer.headers), "content-type": "application/json"}
    r = api.post("/orders", content=b"{not json", headers=headers)
    assert r.status_code == 422
    deep = b'{"listing_id": 1, "purpose": ' + b"[" * 100 + b"]" * 100 + b"}"
    r = api.post("/orders", content=deep, headers=headers)
    assert r.status_code == 400
    assert order_kinds(api) == []


def test_a_signature_for_another_chain_or_contract_is_refused(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    wallet = Account.create()
    body = siwe_body(api, wallet, organization={"name": "Own Keys Ltd", "roles": ["buyer"]})
    token = api.post("/auth/siwe", json=body).json()["access_token"]
    me = api.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
    who = Party(token, me["organization"]["id"], me["account"]["address"])
    assert api.post(f"/organizations/{who.organization_id}/verify", headers=ops.headers).is_success
    draft = api.post(
        "/orders/draft", json={"listing_id": listing["id"], "purpose": "research"},
        headers=who.headers,
    ).json()  # fmt: skip
    for domain in (
        {**draft["typed_data"]["domain"], "chainId": 1},
        {**draft["typed_data"]["domain"], "verifyingContract": "0x" + "22" * 20},
    ):
        forged = signing.sign(bytes(wallet.key), {**draft["typed_data"], "domain": domain})
        r = api.post(
            "/orders",
            json={
                "listing_id": listing["id"], "purpose": "research", "signature": forged,
                "nonce": int(draft["nonce"]), "deadline": draft["deadline"],
            },
            headers=keyed(who.headers),
        )  # fmt: skip
        assert (r.status_code, r.json()["error"]) == (400, "signature_rejected")
    assert order_kinds(api) == []


@pytest.mark.parametrize("path", ["/orders/0", "/orders/9223372036854775808", "/orders/x"])
def test_a_bad_order_id_is_a_422(api: TestClient, buyer: Party, path: str) -> None:
    r = api.get(path, headers=buyer.headers)
    assert r.status_code == 422
    assert set(r.json()) == {"error", "message"}


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"before_id": 0}, {"before_id": HUGE}]
)
def test_a_bad_page_is_a_422(api: TestClient, buyer: Party, params: dict[str, int]) -> None:
    r = api.get("/orders", params=params, headers=buyer.headers)
    assert r.status_code == 422
