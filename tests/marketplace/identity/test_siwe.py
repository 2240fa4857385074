"""Sign-In with Ethereum: sign-up, login, /me and each 401."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from marketplace import limits
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import (
    CHAIN_ID,
    bearer,
    new_wallet,
    row_counts,
    siwe_body,
)

ORG = {"name": "Self Custody Co", "roles": ["buyer"]}


def test_nonce_endpoint_offers_domain_uri_chain_and_expiry(api: TestClient) -> None:
    r = api.get("/auth/siwe/nonce")
    assert r.status_code == 200
    offer = r.json()
    assert offer["domain"] == "127.0.0.1:8000"
    assert offer["chain_id"] == CHAIN_ID
    assert len(offer["nonce"]) >= 8
    assert offer["nonce"].isalnum()
    expires = datetime.fromisoformat(offer["expires_at"])
    assert timedelta(0) < expires - datetime.now(UTC) <= timedelta(seconds=limits.siwe_nonce_ttl_s)
    assert api.get("/auth/siwe/nonce").json()["nonce"] != offer["nonce"]


def test_siwe_signup_then_login_then_me(api: TestClient) -> None:
    wallet = new_wallet()
    r = api.post("/auth/siwe", json=siwe_body(api, wallet, organization=ORG))
    assert r.status_code == 200, r.text
    assert r.json()["signed_up"] is True
    again = api.post("/auth/siwe", json=siwe_body(api, wallet))
    assert again.status_code == 200, again.text
    assert again.json()["signed_up"] is False
    me = api.get("/me", headers=bearer(again.json()["access_token"])).json()
    assert me["account"]["address"] == wallet.address
    assert me["account"]["custodial"] is False
    assert me["account"]["email"] is None
    assert me["organization"]["name"] == "Self Custody Co"
    assert me["organization"]["roles"] == ["buyer"]
    assert me["membership_role"] == "admin"


def test_unknown_address_without_organisation_is_told_to_sign_up(
    api: TestClient, id_runtime: Runtime
) -> None:
    before = row_counts(id_runtime.engine)
    body = siwe_body(api, new_wallet())
    r = api.post("/auth/siwe", json=body)
    assert r.status_code == 401
    assert r.json()["error"] == "signup_required"
    assert "sign up" in r.json()["message"]
    # only the nonce was issued; the refused request wrote nothing
    assert row_counts(id_runtime.engine)["siwe_nonce"] == before["siwe_nonce"] + 1
    assert row_counts(id_runtime.engine)["account"] == before["account"]


def test_reused_nonce_is_401(api: TestClient) -> None:
    wallet = new_wallet()
    body = siwe_body(api, wallet, organization=ORG)
    assert api.post("/auth/siwe", json=body).status_code == 200
    r = api.post("/auth/siwe", json=body)
    assert r.status_code == 401
    assert r.json()["error"] == "siwe_rejected"
    assert "nonce already used" in r.json()["message"]


def test_nonce_the_server_never_issued_is_401(api: TestClient) -> None:
    r = api.post("/auth/siwe", json=siwe_body(api, new_wallet(), nonce="madeUpNonce1234"))
    assert r.status_code == 401
    assert "unknown nonce" in r.json()["message"]


def test_wrong_domain_is_401(api: TestClient) -> None:
    r = api.post(
        "/auth/siwe", json=siwe_body(api, new_wallet(), domain="evil.example", organization=ORG)
    )
    assert r.status_code == 401
    assert r.json()["error"] == "siwe_rejected"
    assert "wrong domain" in r.json()["message"]
    assert "evil.example" in r.json()["message"]


def test_wrong_chain_id_is_401(api: TestClient) -> None:
    r = api.post("/auth/siwe", json=siwe_body(api, new_wallet(), chain_id=1, organization=ORG))
    assert r.status_code == 401
    assert "wrong chain id" in r.json()["message"]
    assert str(CHAIN_ID) in r.json()["message"]


def test_expired_message_is_401(api: TestClient) -> None:
    past = datetime.now(UTC) - timedelta(minutes=5)
    body = siwe_body(
        api,
        new_wallet(),
        issued_at=past - timedelta(minutes=1),
        expiration_time=past,
        organization=ORG,
    )
    r = api.post("/auth/siwe", json=body)
    assert r.status_code == 401
    assert "expired" in r.json()["message"]


def test_message_issued_in_the_future_is_401(api: TestClient) -> None:
    future = datetime.now(UTC) + timedelta(seconds=limits.siwe_clock_skew_s + 120)
    body = siwe_body(
        api,
        new_wallet(),
        issued_at=future,
        expiration_time=future + timedelta(minutes=5),
        organization=ORG,
    )
    r = api.post("/auth/siwe", json=body)
    assert r.status_code == 401
    assert "future" in r.json()["message"]


def test_signature_by_another_key_is_401(api: TestClient) -> None:
    body = siwe_body(api, new_wallet(), organization=ORG)
    impostor = siwe_body(api, new_wallet())
    body["signature"] = impostor["signature"]
    r = api.post("/auth/siwe", json=body)
    assert r.status_code == 401
    assert "bad signature" in r.json()["message"]


def test_garbage_signature_and_message_are_401_not_500(api: TestClient) -> None:
    body = siwe_body(api, new_wallet(), organization=ORG)
    r = api.post("/auth/siwe", json={**body, "signature": "0xzz"})
    assert r.status_code == 401
    r = api.post("/auth/siwe", json={**body, "message": "hello"})
    assert r.status_code == 401
    assert "not an EIP-4361" in r.json()["message"]


def test_a_failed_signup_leaves_the_nonce_usable(api: TestClient) -> None:
    wallet = new_wallet()
    body = siwe_body(api, wallet)
    assert api.post("/auth/siwe", json=body).status_code == 401  # sign-up required
    r = api.post("/auth/siwe", json={**body, "organization": ORG})
    assert r.status_code == 200, r.text


def test_siwe_is_503_until_the_chain_id_is_known(api: TestClient, id_runtime: Runtime) -> None:
    id_runtime.chain_id = None
    r = api.get("/auth/siwe/nonce")
    assert r.status_code == 503
    assert "chain" in r.json()["message"]
