"""``bourse.quotes`` against a real server: a supplier quotes on a buyer's demand (custodial,
and a self-custody member signing locally), the buyer reads the quotes and accepts one (an
order is placed), another supplier withdraws; refusals come back with the exchange's code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from eth_account import Account

from marketplace.client import Databourse, DatabourseClientError
from tests.marketplace.client.conftest import listed, verified_supplier
from tests.marketplace.identity.helpers import PASSWORD, siwe_body
from tests.marketplace.listings.helpers import offer


@pytest.fixture
def buyer(base_url: str, ops: Databourse) -> Iterator[Databourse]:
    client = Databourse(base_url)
    client.identity.signup("bea@buyer.test", PASSWORD, organization="Bea Buys", roles=["buyer"])
    ops.identity.verify_organization(client.identity.me().organization.id)
    with client:
        yield client


def _listing(supplier: Databourse, ops: Databourse, tmp_path: Path) -> int:
    asset_id = listed(supplier, ops, tmp_path)
    listing_id: int = supplier._session.json("POST", "/listings", json=offer(asset_id))["id"]
    return listing_id


def _demand(buyer: Databourse) -> int:
    return buyer.demands.post(
        title="Wholesale fruit prices", keywords=["fruit"], purpose="research",
        budget_min_minor=1_000, budget_max_minor=200_000,
        deadline=(datetime.now(UTC) + timedelta(days=10)).isoformat(),
    ).id  # fmt: skip


def _week() -> datetime:
    return datetime.now(UTC) + timedelta(days=7)


def test_a_quote_is_sent_read_accepted_and_another_withdrawn(
    base_url: str, buyer: Databourse, supplier: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    listing_id = _listing(supplier, ops, tmp_path)
    demand_id = _demand(buyer)
    quote = supplier.quotes.send(
        demand_id, listing_id=listing_id, price_minor=75_000, valid_until=_week()
    )
    assert (quote.status, quote.price_minor) == ("offered", 75_000)
    other = supplier.quotes.send(
        demand_id, listing_id=listing_id, price_minor=80_000, valid_until=_week()
    )
    assert supplier.quotes.withdraw(other.id).status == "withdrawn"
    page = buyer.quotes.for_demand(demand_id)
    assert [q.id for q in page.items] == [other.id, quote.id]
    with verified_supplier(base_url, ops, "rex@rival.test", "Rex Data") as rival:
        with pytest.raises(DatabourseClientError) as caught:
            rival.quotes.get(quote.id)
        assert (caught.value.status, caught.value.code) == (404, "quote_not_found")
        assert rival.quotes.for_demand(demand_id).total == 0
    accepted = buyer.quotes.accept(quote.id)
    assert accepted.status == "accepted"
    assert accepted.order_id is not None
    assert supplier.quotes.get(quote.id).order_id == accepted.order_id
    with pytest.raises(DatabourseClientError) as caught:
        buyer.quotes.accept(quote.id)
    assert (caught.value.status, caught.value.code) == (409, "quote_state")


def test_a_self_custody_supplier_signs_its_quote_locally(
    base_url: str, buyer: Databourse, supplier: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    listing_id = _listing(supplier, ops, tmp_path)
    demand_id = _demand(buyer)
    code = supplier._session.json("POST", "/organizations/me/invites", json={})["code"]
    wallet = Account.create()
    with Databourse(base_url) as member:
        body = siwe_body(member._session.http, wallet, invite_code=code)  # type: ignore[arg-type]
        member.token = member._session.json("POST", "/auth/siwe", json=body)["access_token"]
        quote = member.quotes.send(
            demand_id, listing_id=listing_id, price_minor=66_000, valid_until=_week(),
            private_key=bytes(wallet.key),
        )  # fmt: skip
    assert (quote.signer, quote.status) == (wallet.address, "offered")
    assert buyer.quotes.reject(quote.id).status == "rejected"


def test_a_bad_price_is_refused_with_the_field_named(
    buyer: Databourse, supplier: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    listing_id = _listing(supplier, ops, tmp_path)
    demand_id = _demand(buyer)
    with pytest.raises(DatabourseClientError) as caught:
        supplier.quotes.send(demand_id, listing_id=listing_id, price_minor=0, valid_until=_week())
    assert caught.value.status == 422
    assert "price_minor" in caught.value.message


def test_a_self_custody_buyer_accepts_a_quote_signing_its_order_locally(
    base_url: str, supplier: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    listing_id = _listing(supplier, ops, tmp_path)
    wallet = Account.create()
    with Databourse(base_url) as own:
        own.identity.login_siwe(wallet.key, organization="Own Keys Ltd", roles=["buyer"])
        ops.identity.verify_organization(own.identity.me().organization.id)
        demand_id = _demand(own)
        quote = supplier.quotes.send(
            demand_id, listing_id=listing_id, price_minor=70_000, valid_until=_week()
        )
        with pytest.raises(DatabourseClientError) as caught:
            own.quotes.accept(quote.id)
        assert (caught.value.status, caught.value.code) == (400, "not_custodial")
        accepted = own.quotes.accept(quote.id, private_key=bytes(wallet.key))
        assert accepted.status == "accepted"
        assert accepted.order_id is not None
        order = own.orders.get(accepted.order_id)
    assert order.buyer_signature.signer == wallet.address
    assert (order.price_minor, order.terms_hash) == (70_000, quote.terms_hash)
