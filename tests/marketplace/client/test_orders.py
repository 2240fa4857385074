"""``bourse.orders`` against a real server: a custodial buyer orders, reads, lists and cancels;
a self-custody buyer's order is signed locally; a purpose the terms do not permit is an error
carrying the exchange's reason; the supplier reads its public-data revenue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account

from marketplace.client import Databourse, DatabourseClientError
from marketplace.identity import signing
from tests.marketplace.client.conftest import listed
from tests.marketplace.identity.helpers import PASSWORD
from tests.marketplace.listings.helpers import offer
from tests.marketplace.orders.helpers import PUBLIC_DATA


def new_listing(supplier: Databourse, ops: Databourse, tmp_path: Path, **overrides: Any) -> int:
    asset_id = listed(supplier, ops, tmp_path)
    r = httpx.post(
        f"{supplier.base_url}/listings",
        json=offer(asset_id, **overrides),
        headers={"Authorization": f"Bearer {supplier.token}"},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


@pytest.fixture
def buyer(base_url: str, ops: Databourse) -> Iterator[Databourse]:
    with Databourse(base_url) as client:
        client.identity.signup(
            "carol@buyer.test", PASSWORD, organization="Carol Analytics", roles=["buyer"]
        )
        ops.identity.verify_organization(client.identity.me().organization.id)
        yield client


def test_a_buyer_orders_reads_lists_and_cancels(
    supplier: Databourse, buyer: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    listing_id = new_listing(supplier, ops, tmp_path)
    order = buyer.orders.place(listing_id, purpose="research")
    assert (order.status, order.listing_id, order.purpose) == ("placed", listing_id, "research")
    assert buyer.orders.get(order.id) == order
    assert supplier.orders.get(order.id) == order
    second = buyer.orders.place(listing_id, purpose="internal_analytics")
    page = buyer.orders.mine(limit=1)
    assert [o.id for o in page.items] == [second.id]
    assert page.next_before_id == second.id
    rest = buyer.orders.mine(before_id=page.next_before_id)
    assert ([o.id for o in rest.items], rest.next_before_id) == ([order.id], None)
    assert buyer.orders.cancel(order.id).status == "cancelled"
    with pytest.raises(DatabourseClientError) as again:
        buyer.orders.cancel(order.id)
    assert (again.value.status, again.value.code) == (409, "order_state")


def test_a_purpose_the_terms_do_not_permit_is_refused_with_the_reason(
    supplier: Databourse, buyer: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    listing_id = new_listing(supplier, ops, tmp_path)
    with pytest.raises(DatabourseClientError) as refused:
        buyer.orders.place(listing_id, purpose="ai_training")
    assert (refused.value.status, refused.value.code) == (422, "purpose_not_permitted")
    assert "does not permit training AI models" in refused.value.message
    assert buyer.orders.mine().items == []


def test_a_self_custody_buyer_signs_its_order_locally(
    base_url: str, supplier: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    listing_id = new_listing(supplier, ops, tmp_path)
    wallet = Account.create()
    with Databourse(base_url) as own:
        own.identity.login_siwe(wallet.key, organization="Own Keys Ltd", roles=["buyer"])
        ops.identity.verify_organization(own.identity.me().organization.id)
        order = own.orders.place(listing_id, purpose="research", private_key=bytes(wallet.key))
    assert order.buyer_signature.signer == wallet.address
    assert signing.recover(order.signed_order, order.buyer_signature.signature) == wallet.address


def test_the_supplier_reads_public_data_revenue(
    supplier: Databourse, buyer: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    listing_id = new_listing(supplier, ops, tmp_path, price_model=PUBLIC_DATA)
    buyer.orders.place(listing_id, purpose="research")  # a commitment, not revenue
    report = supplier.orders.revenue(listing_id)
    assert (report.orders, report.revenue_minor, report.ceiling_minor) == (0, 0, 110_000)
    buyer.books.deposit(105_000)
    order = buyer.orders.buy(listing_id, purpose="research")
    licence = buyer.delivery.licence_for_order(order.id)
    buyer.delivery.download(licence.id, tmp_path / "got.csv")
    assert buyer.orders.accept(order.id).status == "settled"
    report = supplier.orders.revenue(listing_id)
    assert (report.orders, report.revenue_minor, report.ceiling_minor) == (1, 105_000, 110_000)
    with pytest.raises(DatabourseClientError) as refused:
        buyer.orders.revenue(listing_id)
    assert refused.value.status == 403
