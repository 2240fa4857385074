"""An auction and outright purchases of its listing exclude each other, and a self-custody
winner places its order by signing it: the draft at the Vickrey price, then the signature; only
the winner, only once."""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from marketplace.auctions.commitment import commitment
from marketplace.identity import signing
from tests.marketplace.assets.helpers import Party
from tests.marketplace.auctions.helpers import (
    PURPOSE,
    Clock,
    auction_body,
    commit,
    exclusive_listing,
    open_auction,
    reveal,
    salt,
)
from tests.marketplace.identity.helpers import bearer, new_wallet, siwe_body
from tests.marketplace.orders.helpers import keyed


def _self_custody_member(api: TestClient, admin: Party) -> tuple[LocalAccount, dict[str, str]]:
    code = api.post("/organizations/me/invites", headers=admin.headers, json={}).json()["code"]
    wallet = new_wallet()
    r = api.post("/auth/siwe", json=siwe_body(api, wallet, invite_code=code))
    assert r.status_code == 200, r.text
    return wallet, bearer(r.json()["access_token"])


def _order(listing_id: int) -> dict[str, Any]:
    return {"listing_id": listing_id, "purpose": PURPOSE}


def test_a_listing_under_auction_is_not_bought_outright_until_the_auction_is_cancelled(
    *, api: TestClient, supplier: Party, ops: Party, carol: Party, clock: Clock
) -> None:
    listing = exclusive_listing(api, supplier, ops)
    auction = open_auction(api, supplier, listing, clock)
    for path in ("/orders", "/orders/draft"):
        r = api.post(path, json=_order(listing), headers=keyed(carol.headers))
        assert r.status_code == 409, r.text
        assert r.json()["error"] == "auction_under_way"
        assert f"auction {auction['id']}" in r.json()["message"]
    clock.advance(hours=1, minutes=1)  # revealing: still under way
    r = api.post("/orders", json=_order(listing), headers=keyed(carol.headers))
    assert r.json()["error"] == "auction_under_way"
    assert api.get("/orders", headers=carol.headers).json()["items"] == []


def test_a_cancelled_auction_frees_the_listing_and_a_held_listing_cannot_be_auctioned(
    *, api: TestClient, supplier: Party, ops: Party, carol: Party, clock: Clock
) -> None:
    listing = exclusive_listing(api, supplier, ops)
    auction = open_auction(api, supplier, listing, clock)
    r = api.post(f"/auctions/{auction['id']}/cancel", headers=supplier.headers)
    assert r.status_code == 200, r.text
    r = api.post("/orders", json=_order(listing), headers=keyed(carol.headers))
    assert r.status_code == 201, r.text
    order_id = r.json()["id"]
    r = api.post("/auctions", json=auction_body(listing, clock), headers=supplier.headers)
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "exclusive_taken"
    assert f"order {order_id}" in r.json()["message"]
    listed = api.get("/auctions", params={"listing_id": listing}).json()
    assert [a["status"] for a in listed] == ["cancelled"]


def test_a_self_custody_winner_signs_its_order_at_the_vickrey_price_once(
    *, api: TestClient, supplier: Party, ops: Party, carol: Party, dave: Party, clock: Clock
) -> None:
    listing = exclusive_listing(api, supplier, ops)
    aid = open_auction(api, supplier, listing, clock)["id"]
    wallet, headers = _self_custody_member(api, carol)
    sealed = {"commitment": commitment(aid, wallet.address, 300_000, salt(1)), "purpose": PURPOSE}
    r = api.post(f"/auctions/{aid}/bids", json=sealed, headers=headers)
    assert r.status_code == 201, r.text
    assert commit(api, dave, aid, 200_000, 2).status_code == 201
    clock.advance(hours=1, minutes=1)
    r = api.post(f"/auctions/{aid}/reveal", json={"amount_minor": 300_000, "salt": salt(1)},
                 headers=headers)  # fmt: skip
    assert r.status_code == 200, r.text
    assert reveal(api, dave, aid, 200_000, 2).status_code == 200
    early = api.post(f"/auctions/{aid}/order/draft", headers=headers)
    assert early.status_code == 409, early.text
    assert f"auction {aid} is revealing; only a sold" in early.json()["message"]
    clock.advance(hours=2)
    due = api.post(f"/auctions/{aid}/order/draft", headers=headers)
    assert due.status_code == 409, due.text
    assert f"resolve it (POST /auctions/{aid}/resolve" in due.json()["message"]
    resolved = api.post(f"/auctions/{aid}/resolve").json()
    assert resolved["result"]["order_id"] is None
    assert f"/auctions/{aid}/order/draft" in resolved["result"]["order_refused"]
    # the listing waits for its winner: no outright purchase meanwhile
    r = api.post("/orders", json=_order(listing), headers=keyed(dave.headers))
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "auction_under_way"
    # only the winner drafts or places the order
    for path in (f"/auctions/{aid}/order/draft", f"/auctions/{aid}/order"):
        r = api.post(path, headers=dave.headers)
        assert r.status_code == 403, r.text
        assert r.json()["error"] == "not_winner"
    r = api.post(f"/auctions/{aid}/order", headers=headers)  # no signature, no custodial key
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "not_custodial"
    r = api.post(f"/auctions/{aid}/order/draft", headers=headers)
    assert r.status_code == 200, r.text
    draft = r.json()
    assert (draft["price_minor"], draft["source"], draft["source_id"]) == (200_000, "auction", aid)
    signature = signing.sign(bytes(wallet.key), draft["typed_data"])
    signed = {"signature": signature, "nonce": int(draft["nonce"]), "deadline": draft["deadline"]}
    forged = {**signed, "signature": signing.sign(bytes(new_wallet().key), draft["typed_data"])}
    r = api.post(f"/auctions/{aid}/order", json=forged, headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "signature_rejected"
    r = api.post(f"/auctions/{aid}/order", json=signed, headers=headers)
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["price_minor"], order["source"], order["source_id"]) == (200_000, "auction", aid)
    assert order["buyer_signature"]["signer"] == wallet.address
    assert order["buyer_organization_id"] == carol.organization_id
    assert api.get(f"/auctions/{aid}").json()["order_id"] == order["id"]
    again = api.post(f"/auctions/{aid}/order", json=signed, headers=headers)
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "auction_state"
