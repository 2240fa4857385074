"""``orders.service.place`` as the quotes and auctions domains call it: the accepted quote's or
the auction's price replaces the listing's (a negotiable listing too), each quote or auction
result becomes at most one order, and a caller that mixes sources is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from ledger.models import utc_now
from marketplace.assets.service import signing_context
from marketplace.db import unit_of_work
from marketplace.errors import DatabourseError
from marketplace.identity import service as identity
from marketplace.orders import service
from marketplace.orders.models import Order
from marketplace.orders.schemas import OrderPublic
from marketplace.orders.service.placement import placed_order
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.identity.helpers import CHAIN_ID
from tests.marketplace.orders.helpers import on_sale, order_kinds

Place = Callable[..., OrderPublic]
_ORDER = Order.metadata.tables["purchase_order"]


@pytest.fixture
def place_as(asset_runtime: Runtime) -> Callable[[Party], Place]:
    """``place`` for a party, in a unit of work of its own (committed unless it raises)."""
    settings = asset_runtime.settings
    ctx = signing_context(settings, CHAIN_ID, None)

    def for_party(who: Party) -> Place:
        def place(**kwargs: Any) -> OrderPublic:
            with unit_of_work(asset_runtime.engine) as session:
                principal = identity.authenticate(session, settings, who.token, utc_now())
                return service.place(session, settings, principal, ctx=ctx, **kwargs)

        return place

    return for_party


@pytest.fixture
def negotiable(api: TestClient, supplier: Party, ops: Party) -> dict[str, Any]:
    return on_sale(api, supplier, ops, price_model={"kind": "negotiable"})


@pytest.fixture
def fixed_listing(api: TestClient, supplier: Party, ops: Party) -> int:
    return int(on_sale(api, supplier, ops)["id"])


def test_an_accepted_quote_becomes_one_order_at_the_quoted_price(
    api: TestClient,
    negotiable: dict[str, Any],
    buyer: Party,
    place_as: Callable[[Party], Place],
    asset_runtime: Runtime,
) -> None:
    listing = negotiable
    place = place_as(buyer)
    order = place(
        listing_id=listing["id"], purpose="research", source="quote", source_id=5, price_minor=99
    )
    assert (order.source, order.source_id, order.price_minor) == ("quote", 5, 99)
    assert order.signed_order["message"]["source"] == "quote"
    assert order.signed_order["message"]["sourceId"] == 5
    with pytest.raises(DatabourseError) as again:
        place(listing_id=listing["id"], purpose="research", source="quote", source_id=5,
              price_minor=99)  # fmt: skip
    assert (again.value.status, str(again.value)) == (409, "quote 5 has already become an order")
    auction = place(
        listing_id=listing["id"], purpose="research", source="auction", source_id=5,
        price_minor=120,
    )  # fmt: skip
    assert (auction.source, auction.price_minor) == ("auction", 120)
    with unit_of_work(asset_runtime.engine) as session:
        assert service.order_from(session, asset_runtime.settings, "quote", 5) == order
        assert service.order_from(session, asset_runtime.settings, "auction", 5) == auction
        assert service.order_from(session, asset_runtime.settings, "quote", 6) is None
    assert order_kinds(api) == ["order.placed", "order.placed"]


def test_the_purpose_is_checked_whatever_the_source(
    api: TestClient, supplier: Party, buyer: Party, ops: Party, place_as: Callable[[Party], Place]
) -> None:
    listing = on_sale(api, supplier, ops, price_model={"kind": "negotiable"})
    with pytest.raises(DatabourseError) as refused:
        place_as(buyer)(
            listing_id=listing["id"], purpose="commercial", source="auction", source_id=1,
            price_minor=10,
        )  # fmt: skip
    assert (refused.value.status, refused.value.code) == (422, "purpose_not_permitted")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"source": "listing", "price_minor": 10},
        {"source": "listing", "source_id": 1},
        {"source": "quote", "source_id": 1},
        {"source": "quote", "price_minor": 10},
        {"source": "auction", "source_id": 1, "price_minor": 0},
        {"source": "auction", "source_id": 1, "price_minor": 2**63},
        {"source": "auction", "source_id": 0, "price_minor": 10},
    ],
)
def test_a_caller_mixing_sources_and_prices_is_refused(
    api: TestClient, fixed_listing: int, buyer: Party, place_as: Callable[[Party], Place],
    kwargs: dict[str, Any],
) -> None:  # fmt: skip
    with pytest.raises(DatabourseError) as refused:
        place_as(buyer)(listing_id=fixed_listing, purpose="research", **kwargs)
    assert (refused.value.status, refused.value.code) == (422, "invalid_order")
    assert order_kinds(api) == []


def test_the_placed_order_row_is_the_row_as_written(
    fixed_listing: int, buyer: Party, asset_runtime: Runtime
) -> None:
    # ``placed_order`` builds the order's row object from its values, not by the model's
    # __init__ (db.insert_row_unless_taken): every column must be what the database holds.
    settings = asset_runtime.settings
    with unit_of_work(asset_runtime.engine) as session:
        principal = identity.authenticate(session, settings, buyer.token, utc_now())
        order, _ = placed_order(
            session, settings, principal, listing_id=fixed_listing, purpose="research",
            ctx=signing_context(settings, CHAIN_ID, None),
        )  # fmt: skip
        state = inspect(order)
        assert state.persistent
        assert not state.modified
        assert not session.new
        assert not session.dirty
        stored = session.execute(select(_ORDER).where(_ORDER.c.id == order.id)).one()._asdict()
        assert {key: getattr(order, key) for key in stored} == stored
        assert (order.status, order.hold_id, order.needs_approval) == ("placed", None, False)
