"""The EIP-712 order a buyer signs: signed and recovered, bound to every field and to the
exchange's domain, and journaled as the EIP-712 digest its signature covers."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from marketplace.identity import signing
from marketplace.orders.document import ZERO_HASH, OrderToSign, bytes32

KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
BUYER = Account.from_key(KEY).address
DOMAIN = signing.domain(131277322940537, "0x" + "11" * 20)


def order(**overrides: object) -> OrderToSign:
    fields: dict[str, object] = {
        "listing_id": 7,
        "asset_id": 3,
        "buyer": BUYER,
        "purpose": "research",
        "quantity": 1,
        "price_minor": 2**63 - 1,
        "currency": "CNY",
        "source": "listing",
        "source_id": 0,
        "terms_hash": "ab" * 32,
        "nonce": 2**256 - 1,
        "deadline": 1_900_000_000,
    }
    fields.update(overrides)
    return OrderToSign.model_validate(fields)


def test_a_signed_order_recovers_its_buyer() -> None:
    signature = signing.sign(KEY, order().typed_data(DOMAIN))
    assert signing.recover(order().typed_data(DOMAIN), signature) == BUYER


@pytest.mark.parametrize(
    "change",
    [
        {"purpose": "commercial"},
        {"price_minor": 1},
        {"quantity": 2},
        {"listing_id": 8},
        {"terms_hash": "cd" * 32},
        {"source": "quote", "source_id": 1},
        {"nonce": 1},
        {"deadline": 1_900_000_001},
    ],
)
def test_a_signature_covers_every_field(change: dict[str, object]) -> None:
    signature = signing.sign(KEY, order().typed_data(DOMAIN))
    with pytest.raises(signing.SignatureError):
        signing.verify(order(**change).typed_data(DOMAIN), signature, BUYER)


def test_a_signature_is_bound_to_the_chain_and_the_contract() -> None:
    signature = signing.sign(KEY, order().typed_data(DOMAIN))
    for other in (signing.domain(1, "0x" + "11" * 20), signing.domain(131277322940537, None)):
        with pytest.raises(signing.SignatureError):
            signing.verify(order().typed_data(other), signature, BUYER)


def test_the_digest_is_what_the_signature_covers_and_changes_with_the_price() -> None:
    document = order().typed_data(DOMAIN)
    signed = Account.sign_message(encode_typed_data(full_message=document), KEY)
    assert signing.digest(document) == "0x" + bytes(signed.message_hash).hex()
    assert signing.digest(order(price_minor=1).typed_data(DOMAIN)) != signing.digest(document)


def test_a_missing_terms_hash_is_the_zero_hash() -> None:
    assert bytes32(None) == ZERO_HASH
    assert bytes32("0x" + "AB" * 32) == "0x" + "ab" * 32
