"""Key-wrapped delivery: the buyer's X25519 key, the ciphertext and the HPKE-wrapped data key,
opened only with the buyer's private key; and the buyer's signed receipt."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient

from marketplace.blobs.envelope import decrypt_stream
from marketplace.delivery import wrapping
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import CSV, Party
from tests.marketplace.delivery.helpers import issued, licensed, url_for
from tests.marketplace.orders.helpers import entries
from tests.node_scripts import ROOT, run_node

KEY_WRAPPED = {"terms": {"delivery_mode": "key_wrapped"}}
NOBLE_RECEIPT_SIGNER = ROOT / "tests" / "ledger" / "verify" / "receipt_signer.mjs"


def _public_hex(key: x25519.X25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def _register(api: TestClient, who: Party) -> x25519.X25519PrivateKey:
    key = x25519.X25519PrivateKey.generate()
    body = {"public_key": _public_hex(key)}
    r = api.put("/organizations/me/delivery-key", json=body, headers=who.headers)
    assert r.status_code == 200, r.text
    return key


def test_key_wrapped_round_trip(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    order, licence_id = licensed(api, asset_runtime, supplier, ops, buyer, **KEY_WRAPPED)
    r = url_for(api, buyer, licence_id)
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "delivery_key_missing"
    assert "PUT /organizations/me/delivery-key" in r.json()["message"]
    assert "bourse delivery-key create FILE" in r.json()["message"]
    private = _register(api, buyer)
    url = issued(api, buyer, licence_id)
    assert url["mode"] == "key_wrapped"
    ciphertext = api.get(url["path"]).content
    assert CSV not in ciphertext
    assert hashlib.sha256(ciphertext).hexdigest() == url["sha256"]
    served = [e for e in entries(api, f"order:{order['id']}") if e["kind"] == "delivery.served"]
    assert served[0]["payload"]["sha256"] == url["sha256"]
    context = wrapping.info(licence_id, url["download_id"], url["sha256"])
    assert url["hpke_info"] == context.decode()
    data_key = wrapping.unwrap(base64.b64decode(url["wrapped_key"]), private, context)
    assert b"".join(decrypt_stream(data_key, io.BytesIO(ciphertext))) == CSV


def test_another_private_key_cannot_unwrap(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    _, licence_id = licensed(api, asset_runtime, supplier, ops, buyer, **KEY_WRAPPED)
    _register(api, buyer)
    url = issued(api, buyer, licence_id)
    context = wrapping.info(licence_id, url["download_id"], url["sha256"])
    wrapped = base64.b64decode(url["wrapped_key"])
    with pytest.raises(wrapping.UnwrapError):
        wrapping.unwrap(wrapped, x25519.X25519PrivateKey.generate(), context)


def test_a_bad_delivery_key_is_refused(api: TestClient, buyer: Party) -> None:
    for bad in ("00" * 32, "zz" * 32, "ab" * 31):
        r = api.put(
            "/organizations/me/delivery-key", json={"public_key": bad}, headers=buyer.headers
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"] in {"invalid_delivery_key", "invalid_request"}
    r = api.get("/organizations/me/delivery-key", headers=buyer.headers)
    assert r.status_code == 404


def test_a_small_order_delivery_key_is_refused(api: TestClient, buyer: Party) -> None:
    # Points of small order give an all-zero shared secret, which X25519 refuses: a key no
    # data key can ever be wrapped to, so every key-wrapped URL would fail (a 500).
    for small in (
        "01" + "00" * 31,  # u = 1
        "ec" + "ff" * 30 + "7f",  # u = p - 1
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",  # order 8
    ):
        r = api.put(
            "/organizations/me/delivery-key", json={"public_key": small}, headers=buyer.headers
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "invalid_delivery_key"
    r = api.get("/organizations/me/delivery-key", headers=buyer.headers)
    assert r.status_code == 404


def test_the_buyer_signs_a_receipt_for_the_bytes_it_received(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    order, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    url = issued(api, buyer, licence_id)
    received = api.get(url["path"]).content
    body = {"served_seq": url["served_seq"], "sha256": hashlib.sha256(received).hexdigest()}
    wrong = {**body, "sha256": "00" * 32}
    r = api.post(f"/licences/{licence_id}/receipt", json=wrong, headers=buyer.headers)
    assert r.status_code == 422
    assert r.json()["error"] == "receipt_mismatch"
    r = api.post(f"/licences/{licence_id}/receipt", json=body, headers=buyer.headers)
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["typed_data"]["primaryType"] == "DeliveryReceipt"
    assert receipt["typed_data"]["message"]["sha256"] == "0x" + body["sha256"]
    kinds = [e["kind"] for e in entries(api, f"order:{order['id']}")]
    assert kinds.count("delivery.receipted") == 1
    again = api.post(f"/licences/{licence_id}/receipt", json=body, headers=buyer.headers)
    assert again.status_code == 409
    assert again.json()["error"] == "receipt_exists"


def test_an_outside_verifier_recovers_the_buyer_from_the_public_receipt_entry(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    """docs/delivery.md's recipe, written in JavaScript with the noble libraries (no eth_account,
    no code of ours), recovers the buyer from each ``delivery.receipted`` entry read from the
    public journal, and someone else from one whose payload was changed."""
    order, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    for _ in range(2):
        url = issued(api, buyer, licence_id)
        sha256 = hashlib.sha256(api.get(url["path"]).content).hexdigest()
        body = {"served_seq": url["served_seq"], "sha256": sha256}
        r = api.post(f"/licences/{licence_id}/receipt", json=body, headers=buyer.headers)
        assert r.status_code == 201, r.text
    receipted = [
        e for e in entries(api, f"order:{order['id']}") if e["kind"] == "delivery.receipted"
    ]
    assert len(receipted) == 2
    assert {e["actor"] for e in receipted} == {buyer.address}
    changed = {**receipted[0]["payload"], "served_seq": receipted[0]["payload"]["served_seq"] + 1}
    items = [*receipted, {**receipted[0], "payload": changed}]
    recovered = run_node(
        NOBLE_RECEIPT_SIGNER,
        [{"payload": e["payload"], "signature": e["signature"]} for e in items],
        package="@noble/curves",
    )
    assert recovered[:2] == [buyer.address.lower()] * 2
    assert recovered[2] != buyer.address.lower()
