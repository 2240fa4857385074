"""Helpers for the listing tests: terms, price models, and an approved asset ready to list."""

from __future__ import annotations

from typing import Any

from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import CSV, Party, create, review, upload, verify
from tests.marketplace.identity.helpers import bearer, new_wallet, siwe_body

TERMS: dict[str, Any] = {
    "purposes": ["research", "internal_analytics"],
    "licence_duration_days": 365,
    "territory": ["CN"],
    "redistribution": False,
    "derivatives": True,
    "max_downloads": 5,
    "exclusive": False,
    "delivery_mode": "download",
    "acceptance_window_h": 72,
    "dispute_window_h": 168,
}
FIXED: dict[str, Any] = {"kind": "fixed", "amount_minor": 125_000}


def terms(**overrides: Any) -> dict[str, Any]:
    return {**TERMS, **overrides}


def approved(api: TestClient, who: Party, ops: Party, **overrides: Any) -> int:
    """An asset with one registered revision, approved but not listed yet."""
    asset_id = int(create(api, who, **overrides)["id"])
    r = upload(api, who, asset_id, CSV)
    assert r.status_code == 201, r.text
    r = api.post(f"/assets/{asset_id}/submit", json={}, headers=who.headers)
    assert r.status_code == 200, r.text
    r = review(api, ops, asset_id, "approved")
    assert r.status_code == 201, r.text
    return asset_id


def offer(asset_id: int, **overrides: Any) -> dict[str, Any]:
    return {"asset_id": asset_id, "terms": TERMS, "price_model": FIXED, **overrides}


def post_listing(api: TestClient, who: Party, asset_id: int, **overrides: Any) -> Any:
    return api.post("/listings", json=offer(asset_id, **overrides), headers=who.headers)


def create_listing(api: TestClient, who: Party, asset_id: int, **overrides: Any) -> dict[str, Any]:
    r = post_listing(api, who, asset_id, **overrides)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def sign_typed(wallet: LocalAccount, typed: dict[str, Any]) -> str:
    signed = wallet.sign_message(encode_typed_data(full_message=typed))
    return "0x" + bytes(signed.signature).hex()


def self_custody_supplier(api: TestClient, ops: Party, name: str) -> tuple[Party, LocalAccount]:
    """A verified supplier whose account holds its own key (signed in with Ethereum)."""
    wallet = new_wallet()
    body = siwe_body(api, wallet, organization={"name": name, "roles": ["supplier"]})
    r = api.post("/auth/siwe", json=body)
    assert r.status_code in (200, 201), r.text
    token = r.json()["access_token"]
    me = api.get("/me", headers=bearer(token)).json()
    who = Party(token, me["organization"]["id"], me["account"]["address"])
    verify(api, ops, who)
    return who, wallet


def approved_self_signed(api: TestClient, who: Party, wallet: LocalAccount, ops: Party) -> int:
    """An approved asset of a self-custody supplier (which signs its own application)."""
    asset_id = int(create(api, who)["id"])
    assert upload(api, who, asset_id, CSV).status_code == 201
    offer = api.get(f"/assets/{asset_id}/application", headers=who.headers).json()
    app = offer["application"]
    r = api.post(
        f"/assets/{asset_id}/submit",
        json={
            "signature": sign_typed(wallet, offer["typed_data"]),
            "nonce": int(app["nonce"]),
            "deadline": app["deadline"],
        },
        headers=who.headers,
    )
    assert r.status_code == 200, r.text
    assert review(api, ops, asset_id, "approved").status_code == 201
    return asset_id
