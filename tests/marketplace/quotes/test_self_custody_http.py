"""A self-custody supplier signs its quote with its own key: it asks for the offer (which writes
nothing), signs it locally and sends the signature with its nonce and deadline. A signature over
another offer, a replayed nonce and a missing signature are refused and change nothing."""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from marketplace.identity import signing
from tests.marketplace.assets.helpers import Party
from tests.marketplace.identity.helpers import bearer, new_wallet, siwe_body
from tests.marketplace.quotes.helpers import demand, entries, listing, quote_body


def _member(api: TestClient, admin: Party) -> tuple[LocalAccount, dict[str, str]]:
    """A self-custody account joining ``admin``'s organisation by invite."""
    code = api.post("/organizations/me/invites", headers=admin.headers, json={}).json()["code"]
    wallet = new_wallet()
    r = api.post("/auth/siwe", json=siwe_body(api, wallet, invite_code=code))
    assert r.status_code == 200, r.text
    return wallet, bearer(r.json()["access_token"])


def _signed(api: TestClient, headers: dict[str, str], wallet: LocalAccount, demand_id: int,
            body: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    r = api.post(f"/demands/{demand_id}/quotes/draft", json=body, headers=headers)
    assert r.status_code == 200, r.text
    draft = r.json()
    signature = signing.sign(bytes(wallet.key), draft["typed_data"])
    return {**body, "signature": signature, "nonce": int(draft["nonce"]),
            "deadline": draft["deadline"]}  # fmt: skip


def test_a_self_custody_supplier_signs_its_quote_locally(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    offered = listing(api, supplier, ops)
    demand_id = demand(api, buyer)
    wallet, headers = _member(api, supplier)
    before = api.get(f"/demands/{demand_id}/quotes", headers=buyer.headers).json()
    body = _signed(api, headers, wallet, demand_id, quote_body(offered["id"]))
    assert api.get(f"/demands/{demand_id}/quotes", headers=buyer.headers).json() == before
    r = api.post(f"/demands/{demand_id}/quotes", json=body, headers=headers)
    assert r.status_code == 201, r.text
    quote = r.json()
    assert quote["signer"] == wallet.address
    assert quote["signature"] == body["signature"]
    assert quote["nonce"] == str(body["nonce"])
    (entry,) = entries(api, buyer, f"quote:{quote['id']}")
    assert (entry["actor"], entry["signature"]) == (wallet.address, body["signature"])
    # the same signed body again: the nonce was used
    again = api.post(f"/demands/{demand_id}/quotes", json=body, headers=headers)
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "nonce_reused"


def test_a_signature_over_another_offer_or_none_at_all_is_refused(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    offered = listing(api, supplier, ops)
    demand_id = demand(api, buyer)
    wallet, headers = _member(api, supplier)
    body = _signed(api, headers, wallet, demand_id, quote_body(offered["id"]))
    cheaper = {**body, "price_minor": body["price_minor"] - 1}
    r = api.post(f"/demands/{demand_id}/quotes", json=cheaper, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "quote_signature_invalid"
    r = api.post(f"/demands/{demand_id}/quotes", json=quote_body(offered["id"]), headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "not_custodial"
    partial = {**quote_body(offered["id"]), "signature": body["signature"]}
    r = api.post(f"/demands/{demand_id}/quotes", json=partial, headers=headers)
    assert r.status_code == 422, r.text
    page = api.get(f"/demands/{demand_id}/quotes", headers=buyer.headers).json()
    assert page["total"] == 0
