"""EIP-712: sign and recover, custodial signing, nonces and deadlines."""

from __future__ import annotations

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace.errors import DatabourseError
from marketplace.identity import repository, service, signing
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import CHAIN_ID, signup

CONTRACT = "0x" + "ab" * 20
TYPES = {
    "Order": [
        {"name": "assetId", "type": "uint64"},
        {"name": "priceMinor", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint64"},
    ]
}


def _order(nonce: int = 1, deadline: int = 2_000_000_000) -> dict[str, object]:
    return signing.typed_data(
        primary_type="Order",
        types=TYPES,
        message={"assetId": 7, "priceMinor": 12_345, "nonce": nonce, "deadline": deadline},
        chain_id=CHAIN_ID,
        verifying_contract=CONTRACT,
    )


def test_domain_names_databourse_version_chain_and_contract() -> None:
    d = signing.domain(CHAIN_ID, CONTRACT)
    assert d["name"] == "Databourse"
    assert d["version"] == "1"
    assert d["chainId"] == CHAIN_ID
    assert d["verifyingContract"].lower() == CONTRACT


def test_sign_then_recover_gives_the_signer() -> None:
    wallet = Account.create()
    signature = signing.sign(bytes(wallet.key), _order())
    assert signing.recover(_order(), signature) == wallet.address
    signing.verify(_order(), signature, wallet.address)


def test_a_changed_message_does_not_verify() -> None:
    wallet = Account.create()
    signature = signing.sign(bytes(wallet.key), _order(nonce=1))
    with pytest.raises(signing.SignatureError, match="signed by"):
        signing.verify(_order(nonce=2), signature, wallet.address)


def test_another_chain_does_not_verify() -> None:
    wallet = Account.create()
    signature = signing.sign(bytes(wallet.key), _order())
    other = {**_order(), "domain": signing.domain(1, CONTRACT)}
    with pytest.raises(signing.SignatureError):
        signing.verify(other, signature, wallet.address)


def test_garbage_signature_raises_signature_error() -> None:
    with pytest.raises(signing.SignatureError):
        signing.recover(_order(), "0x1234")


def test_deadlines() -> None:
    assert signing.deadline_after(1000, 60) == 1060
    signing.check_deadline(1060, 1000)
    with pytest.raises(signing.SignatureError, match="expired"):
        signing.check_deadline(999, 1000)
    with pytest.raises(signing.SignatureError, match="ahead"):
        signing.check_deadline(10**12, 1000)


def test_custodial_account_signs_with_its_stored_key(api: TestClient, id_runtime: Runtime) -> None:
    address = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])["account"]["address"]
    with Session(id_runtime.engine) as s:
        account = repository.account_by_address_key(s, address.lower())
        assert account is not None
        signature = service.sign_as(s, id_runtime.settings, account, _order())
    assert signing.recover(_order(), signature) == address


def test_self_custody_account_cannot_be_signed_for(id_runtime: Runtime) -> None:
    from marketplace.identity.models import Account as AccountRow

    row = AccountRow(
        id=1, organization_id=1, membership_role="admin", address="0x" + "11" * 20,
        address_key="0x" + "11" * 20, custodial=False,
    )  # fmt: skip
    with Session(id_runtime.engine) as s, pytest.raises(DatabourseError, match="sign locally"):
        service.sign_as(s, id_runtime.settings, row, _order())


def test_a_signature_nonce_is_accepted_once(id_runtime: Runtime) -> None:
    wallet = Account.create()
    with Session(id_runtime.engine) as s:
        service.consume_signature_nonce(s, wallet.address, 5, 2_000, 1_000)
        with pytest.raises(DatabourseError, match="already used") as caught:
            service.consume_signature_nonce(s, wallet.address, 5, 2_000, 1_000)
        assert caught.value.status == 409
        service.consume_signature_nonce(s, Account.create().address, 5, 2_000, 1_000)
        with pytest.raises(DatabourseError, match="expired"):
            service.consume_signature_nonce(s, wallet.address, 6, 999, 1_000)
