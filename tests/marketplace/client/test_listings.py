"""``bourse.listings`` against a real server: a custodial supplier lists, a self-custody one
signs its offer locally, anyone reads the listing and its ODRL policy without logging in, and
the supplier pauses, resumes and withdraws it."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account

from marketplace.client import Databourse, DatabourseClientError
from marketplace.identity import signing
from tests.marketplace.assets.helpers import CHECKLIST_OK
from tests.marketplace.client.conftest import uploaded
from tests.marketplace.listings.helpers import FIXED, TERMS


def _approved(
    supplier: Databourse, ops: Databourse, tmp_path: Path, key: bytes | None = None
) -> int:
    asset_id = uploaded(supplier, tmp_path)
    supplier.assets.submit(asset_id, private_key=key)
    ops.assets.review(asset_id, decision="approved", checklist=CHECKLIST_OK)
    return asset_id


def test_a_custodial_supplier_lists_and_anyone_reads_it(
    supplier: Databourse, ops: Databourse, bourse: Databourse, tmp_path: Path
) -> None:
    asset_id = _approved(supplier, ops, tmp_path)

    listing = supplier.listings.create(asset_id, TERMS, FIXED)

    assert (listing.asset_id, listing.status, listing.price_plain) == (
        asset_id, "active", "1,250.00 CNY, paid once",
    )  # fmt: skip
    read = bourse.listings.get(listing.id)
    assert read.terms_hash == listing.terms_hash
    assert bourse.listings.odrl(listing.id)["@type"] == "Offer"
    assert supplier.listings.pause(listing.id).status == "paused"
    assert supplier.listings.resume(listing.id).status == "active"
    assert supplier.listings.withdraw(listing.id).status == "withdrawn"
    with pytest.raises(DatabourseClientError) as caught:
        bourse.listings.pause(listing.id)
    assert caught.value.status == 401


def test_a_self_custody_supplier_signs_its_offer_locally(
    base_url: str, ops: Databourse, tmp_path: Path
) -> None:
    wallet = Account.create()
    key = bytes(wallet.key)
    with Databourse(base_url) as own:
        own.identity.login_siwe(key, organization="Own Keys Ltd", roles=["supplier"])
        ops.identity.verify_organization(own.identity.me().organization.id)
        asset_id = _approved(own, ops, tmp_path, key)
        with pytest.raises(DatabourseClientError) as caught:
            own.listings.create(asset_id, TERMS, FIXED)  # the exchange holds no key to sign with
        assert caught.value.code == "not_custodial"

        listing = own.listings.create(asset_id, TERMS, FIXED, private_key=key)

    assert listing.signer == wallet.address
    assert signing.recover(listing.offer, listing.signature) == wallet.address
