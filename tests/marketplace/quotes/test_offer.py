"""The signed offer: what the supplier's EIP-712 signature binds, and that any change to it
(price, validity, terms, demand) no longer verifies."""

from __future__ import annotations

import pytest
from eth_account import Account

from ledger.canonical import canonical_json
from marketplace.identity import signing
from marketplace.quotes.offer import QuoteOffer, terms_hash

KEY = bytes.fromhex("11" * 32)
ADDRESS = Account.from_key(KEY).address
DOMAIN = signing.domain(31337, None)
OFFER = QuoteOffer(
    demand_id=7,
    listing_id=3,
    asset_id=2,
    supplier=ADDRESS,
    price_minor=12_345,
    currency="CNY",
    terms_hash=terms_hash({"purposes": ["research"], "territory": ["CN"]}),
    valid_until=1_800_000_000,
    nonce=str(2**255 + 1),
    deadline=1_799_000_000,
)


def test_the_supplier_signature_recovers_to_the_supplier() -> None:
    signature = signing.sign(KEY, OFFER.typed_data(DOMAIN))
    assert signing.recover(OFFER.typed_data(DOMAIN), signature) == ADDRESS


@pytest.mark.parametrize(
    "change",
    [
        {"price_minor": 12_344},
        {"valid_until": 1_800_000_001},
        {"demand_id": 8},
        {"listing_id": 4},
        {"terms_hash": terms_hash({"purposes": ["commercial"], "territory": ["CN"]})},
        {"nonce": "1"},
    ],
)
def test_a_changed_offer_does_not_verify(change: dict[str, object]) -> None:
    signature = signing.sign(KEY, OFFER.typed_data(DOMAIN))
    changed = OFFER.model_copy(update=change)
    with pytest.raises(signing.SignatureError):
        signing.verify(changed.typed_data(DOMAIN), signature, ADDRESS)


def test_the_terms_hash_ignores_key_order_but_not_values() -> None:
    assert terms_hash({"a": 1, "b": [2]}) == terms_hash({"b": [2], "a": 1})
    assert terms_hash({"a": 1}) != terms_hash({"a": 2})
    assert len(terms_hash({})) == 66


def test_the_json_document_keeps_big_numbers_as_strings_and_reads_back() -> None:
    offer = OFFER.model_copy(update={"price_minor": 2**63 - 1})
    document = offer.document()
    assert (document["nonce"], document["price_minor"]) == (str(2**255 + 1), str(2**63 - 1))
    assert canonical_json(document)  # canonical JSON takes it
    assert QuoteOffer.model_validate(document) == offer
