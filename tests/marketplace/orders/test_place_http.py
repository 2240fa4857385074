"""Placing an order over HTTP: a verified buyer orders a fixed-price listing for a purpose the
terms permit, signed (EIP-712) and journaled as a digest the parties check; a purpose the terms
do not permit is refused with the reason, and nothing is written."""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient

from marketplace.identity import signing
from tests.marketplace.assets.helpers import Party, party
from tests.marketplace.identity.helpers import siwe_body
from tests.marketplace.orders.helpers import (
    PRICE_MINOR,
    entries,
    on_sale,
    order_kinds,
    place,
    post_order,
)


def test_a_verified_buyer_orders_a_fixed_price_listing_signed_and_journaled(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    order = place(api, buyer, listing["id"], purpose="internal_analytics")

    assert order["status"] == "placed"
    assert (order["listing_id"], order["asset_id"]) == (listing["id"], listing["asset_id"])
    assert (order["price_minor"], order["currency"], order["quantity"]) == (PRICE_MINOR, "CNY", 1)
    assert (order["source"], order["source_id"], order["purpose"]) == (
        "listing", None, "internal_analytics",
    )  # fmt: skip
    assert order["buyer_organization_id"] == buyer.organization_id
    assert order["supplier_organization_id"] == supplier.organization_id
    assert order["terms_hash"] == listing["terms_hash"]
    signed = order["buyer_signature"]
    assert signed["signer"] == buyer.address
    assert signing.recover(order["signed_order"], signed["signature"]) == buyer.address
    message = order["signed_order"]["message"]
    assert (message["purpose"], message["priceMinor"], message["termsHash"]) == (
        "internal_analytics", PRICE_MINOR, listing["terms_hash"],
    )  # fmt: skip

    (entry,) = entries(api, f"order:{order['id']}")
    assert (entry["seq"], entry["kind"], entry["actor"]) == (
        order["placed_seq"], "order.placed", buyer.address,
    )  # fmt: skip
    assert entry["signature"] == signed["signature"]
    # The public entry commits to the order without showing its price or its parties.
    assert entry["payload"] == {
        "order_id": order["id"],
        "listing_id": listing["id"],
        "source": "listing",
        "source_id": 0,
        "order_digest": entry["payload"]["order_digest"],
    }
    # A party checks the signed order its view shows against the public entry, as an outside
    # verifier would: eth_account alone recomputes the digest and recovers the signer.
    signable = encode_typed_data(full_message=order["signed_order"])
    digest = "0x" + keccak(b"\x19" + signable.version + signable.header + signable.body).hex()
    assert entry["payload"]["order_digest"] == digest
    assert Account.recover_message(signable, signature=entry["signature"]) == buyer.address
    assert api.get(f"/orders/{order['id']}", headers=buyer.headers).json() == order


def test_a_purpose_the_terms_do_not_permit_is_refused_with_the_reason_and_nothing_is_written(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)  # research and internal analytics only
    r = post_order(api, buyer, listing["id"], purpose="commercial")

    assert r.status_code == 422, r.text
    assert r.json() == {
        "error": "purpose_not_permitted",
        "message": "this licence does not permit commercial use (commercial); it permits only: "
        "research, internal analytics",
    }
    assert api.get("/orders", headers=buyer.headers).json()["items"] == []
    assert order_kinds(api) == []


def test_a_purpose_outside_the_vocabulary_is_a_422_naming_the_purposes(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    r = post_order(api, buyer, listing["id"], purpose="world_domination")
    assert r.status_code == 422, r.text
    assert "research" in r.json()["message"]
    assert order_kinds(api) == []


def test_an_unverified_buyer_and_an_organisation_without_the_buyer_role_are_refused(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    unverified = party(api, "dan@new.test", "New Buyer", ["buyer"])
    r = post_order(api, unverified, listing["id"])
    assert (r.status_code, r.json()["error"]) == (403, "not_verified")
    seller_only = party(api, "eve@seller.test", "Seller Only", ["supplier"])
    r = post_order(api, seller_only, listing["id"])
    assert (r.status_code, r.json()["error"]) == (403, "role_required")
    assert post_order(api, Party("", 0, ""), listing["id"]).status_code == 401
    assert order_kinds(api) == []


def test_a_supplier_cannot_buy_its_own_listing(api: TestClient, rival: Party, ops: Party) -> None:
    listing = on_sale(api, rival, ops)  # rival supplies and buys
    r = post_order(api, rival, listing["id"])
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "own_listing"
    assert order_kinds(api) == []


def test_a_negotiable_listing_is_sold_only_through_a_quote(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops, price_model={"kind": "negotiable"})
    r = post_order(api, buyer, listing["id"])
    assert r.status_code == 409, r.text
    assert "quote" in r.json()["message"]
    assert order_kinds(api) == []


def test_a_paused_listing_or_a_delisted_asset_cannot_be_bought(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    paused = on_sale(api, supplier, ops)
    r = api.post(f"/listings/{paused['id']}/pause", headers=supplier.headers)
    assert r.status_code == 200, r.text
    r = post_order(api, buyer, paused["id"])
    assert r.status_code == 409, r.text
    assert "paused" in r.json()["message"]

    delisted = on_sale(api, supplier, ops)
    r = api.post(f"/assets/{delisted['asset_id']}/delist", headers=supplier.headers)
    assert r.status_code == 200, r.text
    r = post_order(api, buyer, delisted["id"])
    assert r.status_code == 409, r.text
    assert order_kinds(api) == []


def test_an_unknown_listing_is_a_404(api: TestClient, buyer: Party) -> None:
    r = post_order(api, buyer, 999_999)
    assert r.status_code == 404, r.text
    assert set(r.json()) == {"error", "message"}


def test_a_metered_listing_is_priced_for_the_quantity(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    metered = {"kind": "metered", "unit": "row", "unit_price_minor": 3, "cap_minor": 1_000}
    listing = on_sale(api, supplier, ops, price_model=metered)
    assert place(api, buyer, listing["id"], quantity=100)["price_minor"] == 300
    assert place(api, buyer, listing["id"], quantity=10_000)["price_minor"] == 1_000


def test_a_self_custody_buyer_signs_the_draft_and_a_replay_is_refused(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    wallet = Account.create()
    body = siwe_body(api, wallet, organization={"name": "Own Keys Ltd", "roles": ["buyer"]})
    r = api.post("/auth/siwe", json=body)
    assert r.status_code in (200, 201), r.text
    token = r.json()["access_token"]
    me = api.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
    who = Party(token, me["organization"]["id"], me["account"]["address"])
    r = api.post(f"/organizations/{who.organization_id}/verify", headers=ops.headers)
    assert r.status_code == 200, r.text

    r = post_order(api, who, listing["id"])  # no key on the exchange: sign locally
    assert r.status_code == 400, r.text
    draft = api.post(
        "/orders/draft", json={"listing_id": listing["id"], "purpose": "research"},
        headers=who.headers,
    ).json()  # fmt: skip
    assert draft["price_minor"] == PRICE_MINOR
    signature = signing.sign(bytes(wallet.key), draft["typed_data"])
    signed = {"signature": signature, "nonce": int(draft["nonce"]), "deadline": draft["deadline"]}

    wrong = post_order(api, who, listing["id"], purpose="internal_analytics", **signed)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "signature_rejected")
    order = place(api, who, listing["id"], **signed)
    assert order["buyer_signature"]["signature"] == signature
    assert order["signed_order"] == draft["typed_data"]
    replay = post_order(api, who, listing["id"], **signed)
    assert (replay.status_code, replay.json()["error"]) == (409, "nonce_reused")
    expired = post_order(api, who, listing["id"], **{**signed, "deadline": 1_000})
    assert expired.status_code == 400, expired.text
    assert order_kinds(api) == ["order.placed"]
