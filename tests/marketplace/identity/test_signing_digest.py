"""The EIP-712 digest ``signing`` computes itself equals eth_account's ``encode_typed_data``
digest (what wallets sign), for every document type the exchange signs and for random flat
documents; values of other forms, which eth_account coerces or refuses, are left to it, so they
give its digest or its refusal. Signatures over that digest equal eth_account's and recover to
their signer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.canonical import keccak256
from marketplace.assets.certificate import COUNTERSIGNATURE_TYPES, REGISTRATION_TYPES
from marketplace.delivery.receipt import RECEIPT_TYPES
from marketplace.disputes.evidence_document import EVIDENCE_TYPES
from marketplace.disputes.service.rulings import RULING_TYPES
from marketplace.identity import signing
from marketplace.listings.offer import OFFER_TYPES
from marketplace.orders.document import ORDER_TYPES, OrderToSign
from marketplace.orders.quality_check import CHECK_TYPES
from marketplace.quotes.offer import QUOTE_TYPES
from marketplace.valuation.certification import CERTIFICATION_TYPES

PROJECT_TYPES: list[Mapping[str, list[dict[str, str]]]] = [
    ORDER_TYPES, QUOTE_TYPES, OFFER_TYPES, REGISTRATION_TYPES, COUNTERSIGNATURE_TYPES,
    RULING_TYPES, EVIDENCE_TYPES, RECEIPT_TYPES, CHECK_TYPES, CERTIFICATION_TYPES,
]  # fmt: skip
KEYS = [bytes([n]) * 32 for n in (1, 7, 0x42)]
ATOMIC_TYPES = ["uint8", "uint32", "uint64", "uint256", "address", "bool", "string", "bytes",
                "bytes32", "string[]"]  # fmt: skip


def reference_digest(document: Mapping[str, Any]) -> bytes:
    signable = encode_typed_data(full_message=dict(document))
    return keccak256(b"\x19" + signable.version + signable.header + signable.body)


addresses = st.binary(min_size=20, max_size=20).flatmap(
    lambda raw: st.sampled_from(
        ["0x" + raw.hex(), "0x" + raw.hex().upper(), to_checksum_address("0x" + raw.hex())]
    )
)


def plain_value(type_: str) -> st.SearchStrategy[Any]:
    """Values of the form the exchange's own documents carry."""
    if type_.startswith("uint"):
        return st.integers(min_value=0, max_value=2 ** int(type_[4:]) - 1)
    return {
        "address": addresses,
        "bool": st.booleans(),
        "string": st.text(max_size=40),
        "bytes": st.binary(max_size=40).map(lambda b: "0x" + b.hex()) | st.binary(max_size=40),
        "bytes32": st.binary(min_size=32, max_size=32).flatmap(
            lambda b: st.sampled_from([b, "0x" + b.hex()])
        ),
        "string[]": st.lists(st.text(max_size=12), max_size=4),
    }[type_]


def odd_value(type_: str) -> st.SearchStrategy[Any]:
    """Values eth_account coerces or refuses: numbers as text, out of range, wrong types, short
    bytes, mixed-case addresses with a broken checksum, missing fields (None)."""
    return st.one_of(
        st.none(),
        st.integers(min_value=-(2**260), max_value=2**260),
        st.integers(min_value=0, max_value=10**6).map(str),
        st.integers(min_value=0, max_value=10**6).map(hex),
        st.booleans(),
        st.text(max_size=8),
        st.binary(max_size=40),
        st.binary(max_size=40).map(lambda b: "0x" + b.hex()),
        st.just("0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"),
        st.lists(st.integers(min_value=0, max_value=9), max_size=2),
    )


@st.composite
def documents(
    draw: st.DrawFn, types: Mapping[str, list[dict[str, str]]] | None = None, odd: bool = False
) -> dict[str, Any]:
    if types is None:
        names = draw(st.lists(st.from_regex(r"[a-z][A-Za-z0-9]{0,8}", fullmatch=True),
                              min_size=1, max_size=8, unique=True))  # fmt: skip
        fields = [{"name": n, "type": draw(st.sampled_from(ATOMIC_TYPES))} for n in names]
        types = {draw(st.sampled_from(["Order", "Thing", "Mail"])): fields}
    (primary,) = types
    message = {}
    for field in types[primary]:
        strategy = plain_value(field["type"])
        if odd:
            strategy = strategy | odd_value(field["type"])
        message[field["name"]] = draw(strategy)
    chain_id = draw(st.sampled_from([1, 31337, 2**64]))
    contract = draw(addresses)
    return signing.typed_data(
        primary_type=primary, types=types, message=message, chain_id=chain_id,
        verifying_contract=contract,
    )  # fmt: skip


def same_digest_or_same_refusal(document: dict[str, Any]) -> None:
    try:
        expected = reference_digest(document)
    except Exception as exc:  # noqa: BLE001 -- whatever eth_account raises, ours must too
        with pytest.raises(type(exc)):
            signing.digest_bytes(document)
        return
    assert signing.digest_bytes(document) == expected
    assert signing.digest(document) == "0x" + expected.hex()


@pytest.mark.parametrize("types", PROJECT_TYPES, ids=lambda t: next(iter(t)))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_document_the_exchange_signs_hashes_as_eth_account_does(
    types: Mapping[str, list[dict[str, str]]], data: st.DataObject
) -> None:
    document = data.draw(documents(types))
    assert signing.digest_bytes(document) == reference_digest(document)
    assert signing._flat_digest(document) is not None, "hashed here, not by the fallback"
    wire = signing.wallet_json(document)  # as a wallet or the SDK sends it back
    assert signing.digest_bytes(wire) == reference_digest(document)


@settings(max_examples=150, deadline=None)
@given(document=documents())
def test_random_flat_documents_hash_as_eth_account_does(document: dict[str, Any]) -> None:
    same_digest_or_same_refusal(document)


@settings(max_examples=150, deadline=None)
@given(document=documents(odd=True))
def test_values_of_other_forms_get_eth_accounts_digest_or_its_refusal(
    document: dict[str, Any],
) -> None:
    same_digest_or_same_refusal(document)


@settings(max_examples=40, deadline=None)
@given(document=documents(ORDER_TYPES), key=st.sampled_from(KEYS))
def test_a_signature_equals_eth_accounts_and_recovers_its_signer(
    document: dict[str, Any], key: bytes
) -> None:
    expected = Account.sign_message(encode_typed_data(full_message=document), key)
    signature = signing.sign(key, document)
    assert signature == "0x" + bytes(expected.signature).hex()
    signer = Account.from_key(key).address
    assert signing.recover(document, signature) == signer
    assert signing.recover_digest(signing.digest_bytes(document), signature) == signer


def test_an_order_document_hashes_here() -> None:
    order = OrderToSign(
        listing_id=1, asset_id=2, buyer="0x" + "ab" * 20, purpose="research", quantity=1,
        price_minor=100, currency="CNY", source="listing", source_id=0, terms_hash="cd" * 32,
        nonce=signing.new_nonce(), deadline=2_000_000_000,
    )  # fmt: skip
    document = order.typed_data(signing.domain(31337, None))
    assert signing._flat_digest(document) == reference_digest(document)


def test_nested_structs_go_to_eth_account() -> None:
    document = {
        "types": {
            "Person": [{"name": "wallet", "type": "address"}],
            "Mail": [{"name": "from", "type": "Person"}, {"name": "contents", "type": "string"}],
        },
        "primaryType": "Mail",
        "domain": signing.domain(1, None),
        "message": {"from": {"wallet": "0x" + "11" * 20}, "contents": "hi"},
    }
    assert signing._flat_digest(document) is None
    assert signing.digest_bytes(document) == reference_digest(document)


def test_a_malformed_signature_is_a_signature_error() -> None:
    document = signing.typed_data(
        primary_type="Order", types=ORDER_TYPES, message={}, chain_id=1, verifying_contract=None
    )
    with pytest.raises(signing.SignatureError):
        signing.recover(document, "0x1234")
