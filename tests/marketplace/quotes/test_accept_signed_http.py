"""Accepting a quote places an order under the quote's terms, signed by the buyer: a custodial
buyer in one call, a self-custody buyer over the order ``POST /quotes/{id}/accept/draft`` hands
out (which writes nothing), with its signature, nonce and deadline."""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from marketplace.identity import signing
from tests.marketplace.assets.helpers import Party
from tests.marketplace.identity.helpers import bearer, new_wallet, siwe_body
from tests.marketplace.listings.helpers import terms
from tests.marketplace.quotes.helpers import demand, entries, listing, send_quote

NARROW = terms(purposes=["research"], licence_duration_days=90, max_downloads=2)


def _member(api: TestClient, admin: Party) -> tuple[LocalAccount, dict[str, str]]:
    code = api.post("/organizations/me/invites", headers=admin.headers, json={}).json()["code"]
    wallet = new_wallet()
    r = api.post("/auth/siwe", json=siwe_body(api, wallet, invite_code=code))
    assert r.status_code == 200, r.text
    return wallet, bearer(r.json()["access_token"])


def _placed(api: TestClient, who: Party, order_id: int) -> dict[str, Any]:
    (entry,) = [e for e in entries(api, who, f"order:{order_id}") if e["kind"] == "order.placed"]
    return entry


def test_a_custodial_buyers_order_signs_the_quotes_narrower_terms(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    offered = listing(api, supplier, ops)
    demand_id = demand(api, buyer)
    quote = send_quote(api, supplier, demand_id, offered["id"], terms=NARROW)
    r = api.post(f"/quotes/{quote['id']}/accept", headers=buyer.headers)
    assert r.status_code == 200, r.text
    order = api.get(f"/orders/{r.json()['order_id']}", headers=buyer.headers).json()
    assert order["terms_hash"] == quote["terms_hash"] != offered["terms_hash"]
    assert order["signed_order"]["message"]["termsHash"] == quote["terms_hash"]
    entry = _placed(api, buyer, order["id"])
    assert entry["payload"]["order_digest"] == signing.digest(order["signed_order"])
    assert (entry["payload"]["source"], entry["payload"]["source_id"]) == ("quote", quote["id"])


def test_a_self_custody_buyer_accepts_a_quote_by_signing_its_order(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    offered = listing(api, supplier, ops)
    demand_id = demand(api, buyer)
    quote = send_quote(api, supplier, demand_id, offered["id"], terms=NARROW)
    wallet, headers = _member(api, buyer)
    r = api.post(f"/quotes/{quote['id']}/accept", headers=headers)  # no key on the exchange
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "not_custodial"
    r = api.post(f"/quotes/{quote['id']}/accept/draft", headers=headers)
    assert r.status_code == 200, r.text
    draft = r.json()
    assert (draft["source"], draft["source_id"]) == ("quote", quote["id"])
    assert (draft["price_minor"], draft["terms_hash"]) == (
        quote["price_minor"],
        quote["terms_hash"],
    )
    unchanged = api.get(f"/quotes/{quote['id']}", headers=buyer.headers).json()
    assert unchanged["status"] == "offered"
    signed = {
        "signature": signing.sign(bytes(wallet.key), draft["typed_data"]),
        "nonce": int(draft["nonce"]),
        "deadline": draft["deadline"],
    }
    forged = {**signed, "signature": signing.sign(bytes(new_wallet().key), draft["typed_data"])}
    r = api.post(f"/quotes/{quote['id']}/accept", json=forged, headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "signature_rejected"
    assert api.get(f"/quotes/{quote['id']}", headers=buyer.headers).json()["status"] == "offered"
    r = api.post(f"/quotes/{quote['id']}/accept", json={**signed, "extra": 1}, headers=headers)
    assert r.status_code == 422, r.text
    r = api.post(f"/quotes/{quote['id']}/accept", json=signed, headers=headers)
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert accepted["status"] == "accepted"
    order = api.get(f"/orders/{accepted['order_id']}", headers=buyer.headers).json()
    assert order["buyer_signature"]["signer"] == wallet.address
    assert order["buyer_signature"]["signature"] == signed["signature"]
    assert (order["source"], order["source_id"]) == ("quote", quote["id"])
    assert order["terms_hash"] == quote["terms_hash"]
    again = api.post(f"/quotes/{quote['id']}/accept/draft", headers=headers)
    assert again.status_code == 409, again.text
