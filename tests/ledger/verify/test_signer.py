"""Who signed an entry, from the entry alone: over a digest its payload holds, and a buyer's
``delivery.receipted``, whose ``DeliveryReceipt`` is rebuilt from its payload. The documents
here are written out as docs/delivery.md describes them and signed with eth_account, not with
the exchange's code; and ``bourse verify``'s offline check refuses an entry whose signature
is not its actor's, however well it is anchored."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak

from ledger.canonical import canonical_json, keccak256
from ledger.merkle import leaf_hash
from ledger.verify import ReceiptInvalid, check_receipt_offline, parse_receipt
from ledger.verify.signer import entry_signer, receipt_mismatch

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SHA256 = "ab" * 32


def _signed(document: dict[str, Any], key: Any) -> str:
    signable = encode_typed_data(full_message=document)
    return "0x" + bytes(Account.sign_message(signable, key.key).signature).hex()


def _receipt_document(payload: dict[str, Any]) -> dict[str, Any]:
    """docs/delivery.md, "The receipt's signature", read by hand."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "DeliveryReceipt": [
                {"name": "licenceId", "type": "uint256"},
                {"name": "orderId", "type": "uint256"},
                {"name": "sha256", "type": "bytes32"},
                {"name": "servedSeq", "type": "uint256"},
            ],
        },
        "primaryType": "DeliveryReceipt",
        "domain": {
            "name": "Databourse",
            "version": "1",
            "chainId": payload["chain_id"],
            "verifyingContract": payload["verifying_contract"],
        },
        "message": {
            "licenceId": payload["licence_id"],
            "orderId": payload["order_id"],
            "sha256": "0x" + payload["sha256"],
            "servedSeq": payload["served_seq"],
        },
    }


def _receipted(key: Any, **changed: Any) -> dict[str, Any]:
    """A ``delivery.receipted`` entry the buyer ``key`` signed; ``changed`` alters the payload
    after signing."""
    payload = {
        "licence_id": 7, "order_id": 12, "download_id": 3, "sha256": SHA256, "served_seq": 40,
        "chain_id": 31337, "verifying_contract": CONTRACT,
    }  # fmt: skip
    signature = _signed(_receipt_document(payload), key)
    return {
        "seq": 41, "kind": "delivery.receipted", "subject": "order:12", "actor": key.address,
        "payload": {**payload, **changed}, "signature": signature,
        "prev_hash": "0x" + "00" * 32, "recorded_at": "2026-12-07T10:00:00.000000Z",
    }  # fmt: skip


def test_a_buyers_delivery_receipt_recovers_to_the_buyer() -> None:
    key = Account.create()
    assert entry_signer(_receipted(key)) == key.address


@pytest.mark.parametrize(
    "changed",
    [
        {"sha256": "cd" * 32},
        {"served_seq": 39},
        {"licence_id": 8},
        {"order_id": 13},
        {"chain_id": 1},
        {"verifying_contract": "0x" + "00" * 20},
    ],
)
def test_a_receipt_entry_that_says_other_than_was_signed_recovers_to_someone_else(
    changed: dict[str, Any],
) -> None:
    key = Account.create()
    assert entry_signer(_receipted(key, **changed)) != key.address


@pytest.mark.parametrize(
    "changed",
    [{"sha256": "not hex"}, {"served_seq": "40"}, {"chain_id": True}, {"licence_id": None}],
)
def test_a_malformed_receipt_entry_is_refused_with_a_reason(changed: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="does not recover"):
        entry_signer(_receipted(Account.create(), **changed))


def test_an_entry_signed_over_a_digest_recovers_to_its_signer() -> None:
    key = Account.create()
    document = {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}],
            "Evidence": [{"name": "sha256", "type": "bytes32"}],
        },
        "primaryType": "Evidence",
        "domain": {"name": "Databourse"},
        "message": {"sha256": "0x" + SHA256},
    }
    signable = encode_typed_data(full_message=document)
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    entry = {"signature": _signed(document, key), "payload": {"digest": "0x" + digest.hex()}}
    assert entry_signer(entry) == key.address
    assert entry_signer({**entry, "signature": None}) is None
    assert entry_signer({**entry, "payload": {"sha256": "ab"}}) is None
    assert entry_signer({**entry, "payload": {"digest": "0x" + "00" * 32}}) != key.address


def _anchored_alone(entry: dict[str, Any]) -> bytes:
    """A receipt of ``entry`` as the only entry of its batch (its proof is empty)."""
    entry_hash = keccak256(canonical_json(entry))
    return canonical_json({
        "entry": entry, "entry_hash": "0x" + entry_hash.hex(), "proof": [],
        "root": "0x" + leaf_hash(entry["seq"], entry_hash).hex(),
        "batch": {"id": 1, "first_seq": entry["seq"], "last_seq": entry["seq"]},
        "anchor": {"chain_id": 31337, "contract": CONTRACT, "tx_hash": "0x" + "11" * 32,
                   "block_number": 5},
    })  # fmt: skip


def test_the_offline_check_names_the_signer_of_a_well_signed_receipt() -> None:
    key = Account.create()
    assert check_receipt_offline(parse_receipt(_anchored_alone(_receipted(key)))) == key.address


def test_an_anchored_receipt_the_buyer_did_not_sign_is_invalid() -> None:
    """The exchange anchors what it writes: a receipt entry naming the buyer as its actor but
    signed by another key verifies on the chain, and is still refused."""
    buyer, other = Account.create(), Account.create()
    forged = {**_receipted(other), "actor": buyer.address}
    with pytest.raises(ReceiptInvalid, match=f"recovers to {other.address}, not its actor"):
        check_receipt_offline(parse_receipt(_anchored_alone(forged)))
    unsigned_fields = {**_receipted(buyer), "payload": {"sha256": SHA256}}
    with pytest.raises(ReceiptInvalid, match="entry 41: the entry's signature does not recover"):
        check_receipt_offline(parse_receipt(_anchored_alone(unsigned_fields)))


def _served(**changed: Any) -> dict[str, Any]:
    """The ``delivery.served`` entry ``_receipted`` names (seq 40)."""
    payload = {"licence_id": 7, "order_id": 12, "download_id": 3, "sha256": SHA256, **changed}
    return {"seq": 40, "kind": "delivery.served", "subject": "order:12", "payload": payload}


def test_a_receipt_matches_the_download_it_names_and_no_other() -> None:
    receipted = _receipted(Account.create())
    assert receipt_mismatch(receipted, _served()) is None
    assert receipt_mismatch(receipted, {**_served(), "seq": 39}) == (
        "entry 41 is a receipt for entry 40, not for delivery.served entry 39"
    )
    assert receipt_mismatch(receipted, {**_served(), "kind": "order.placed"}) == (
        "entry 41 is a receipt for entry 40, not for order.placed entry 40"
    )
    assert receipt_mismatch(receipted, _served(download_id=4, sha256="cd" * 32)) == (
        "entry 41 receipts other download_id, sha256 than entry 40 served"
    )
    assert receipt_mismatch(receipted, _served(order_id=12.0)) == (  # one type: 12.0 is not 12
        "entry 41 receipts other order_id than entry 40 served"
    )
    assert receipt_mismatch(_served(), _served()) == "entry 40 is not a delivery.receipted entry"
