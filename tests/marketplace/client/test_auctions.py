"""``bourse.auctions`` against a real server whose auction clock the test moves: a supplier
opens an auction, two buyers commit sealed bids computed locally and reveal them, anyone reads
and resolves it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from eth_account import Account
from sqlalchemy.engine import Engine

from marketplace.auctions.commitment import commitment
from marketplace.client import Databourse, DatabourseClientError
from tests.marketplace.auctions.helpers import (
    RESERVE,
    Clock,
    client_exclusive_listing,
    client_party,
    served_exchange,
)
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path, clock: Clock) -> Iterator[str]:
    with served_exchange(engine, tmp_path / "blobs", clock) as url:
        yield url


def test_an_auction_runs_through_the_client(base_url: str, clock: Clock) -> None:
    with Databourse(base_url) as ops, Databourse(base_url) as anyone:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        supplier = client_party(base_url, ops, "dora@s.test", "Dora", ["supplier"])
        carol = client_party(base_url, ops, "carol@b.test", "Carol", ["buyer"])
        dave = client_party(base_url, ops, "dave@b.test", "Dave", ["buyer"])
        listing = client_exclusive_listing(base_url, supplier, ops)
        auction = supplier.auctions.open(
            listing,
            reserve_minor=RESERVE,
            commit_deadline=clock.now + timedelta(hours=1),
            reveal_deadline=clock.now + timedelta(hours=2),
        )
        assert anyone.auctions.get(auction.id).status == "committing"
        sealed = {}
        for who, amount in ((carol, 300_000), (dave, 250_000)):
            address = who.identity.me().account.address
            bid, salt = who.auctions.commit(
                auction.id, bidder=address, amount_minor=amount, purpose="research"
            )
            assert bid.commitment == commitment(auction.id, address, amount, salt)
            assert bid.amount_minor is None
            sealed[amount] = (who, salt)
        assert [a.commitments for a in anyone.auctions.for_listing(listing)] == [2]
        with pytest.raises(DatabourseClientError) as early:
            anyone.auctions.resolve(auction.id)
        assert early.value.status == 409
        clock.advance(hours=1, minutes=1)
        for amount, (who, salt) in sealed.items():
            assert who.auctions.reveal(auction.id, amount_minor=amount, salt=salt).status == (
                "revealed"
            )
        assert carol.auctions.my_bid(auction.id).amount_minor == 300_000
        clock.advance(hours=1)
        resolved = anyone.auctions.resolve(auction.id)
        assert resolved.result is not None
        assert resolved.result.winner_organization_id == carol.identity.me().organization.id
        assert resolved.result.price_minor == 250_000
        assert anyone.auctions.get(auction.id) == resolved
        for client in (supplier, carol, dave):
            client.close()


def test_a_self_custody_winner_places_its_order_through_the_client(
    base_url: str, clock: Clock
) -> None:
    wallet = Account.create()
    with Databourse(base_url) as ops, Databourse(base_url) as own:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        supplier = client_party(base_url, ops, "dora@s.test", "Dora", ["supplier"])
        own.identity.login_siwe(wallet.key, organization="Own Keys Ltd", roles=["buyer"])
        ops.identity.verify_organization(own.identity.me().organization.id)
        listing = client_exclusive_listing(base_url, supplier, ops)
        auction = supplier.auctions.open(
            listing,
            reserve_minor=RESERVE,
            commit_deadline=clock.now + timedelta(hours=1),
            reveal_deadline=clock.now + timedelta(hours=2),
        )
        _, salt = own.auctions.commit(
            auction.id, bidder=wallet.address, amount_minor=300_000, purpose="research"
        )
        clock.advance(hours=1, minutes=1)
        own.auctions.reveal(auction.id, amount_minor=300_000, salt=salt)
        clock.advance(hours=1)
        resolved = own.auctions.resolve(auction.id)
        assert resolved.result is not None
        assert resolved.result.order_id is None
        order = own.auctions.place_order(auction.id, private_key=bytes(wallet.key))
        assert (order.price_minor, order.source, order.source_id) == (
            RESERVE,
            "auction",
            auction.id,
        )
        assert order.buyer_signature.signer == wallet.address
        assert own.auctions.get(auction.id).order_id == order.id
        with pytest.raises(DatabourseClientError) as again:
            own.auctions.place_order(auction.id, private_key=bytes(wallet.key))
        assert (again.value.status, again.value.code) == (409, "auction_state")
        supplier.close()
