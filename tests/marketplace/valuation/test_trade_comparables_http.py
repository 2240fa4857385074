"""Settled trades as the market approach's comparables, on both databases: a settled order of a
comparable asset appears with its settlement date and terms and moves the value; a cancelled,
paid or delivered one does not; a listing with a settled trade is counted once; and a
valuation that compared trades is shown only to the owner organisation and the operators."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.listings.helpers import approved, create_listing
from tests.marketplace.orders.conftest import buyer  # noqa: F401 -- a fixture used by name
from tests.marketplace.orders.helpers import keyed
from tests.marketplace.orders.money import deliver, fund
from tests.marketplace.valuation.test_listing_comparables_http import RIGHTS, fixed, list_at

PRICE = 3_000_000  # the subject's own listing: what its trades are at


def market_of(api: TestClient, who: Party, asset_id: int) -> dict[str, Any]:
    """Market inputs matching the asset's quality report, so every adjustment factor is 1."""
    report = api.get(f"/assets/{asset_id}/quality", headers=who.headers).json()["report"]
    return {
        "quality_score": report["overall"],
        "timeliness_score": 70,
        "volume_rows": report["rows"],
        "rights": RIGHTS,
        "comparables": [],
    }


def value(api: TestClient, who: Party, asset_id: int) -> dict[str, Any]:
    body = {"inputs": {"market": market_of(api, who, asset_id)}}
    r = api.post(f"/assets/{asset_id}/valuations", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()
    return found


def sources(valuation: dict[str, Any]) -> list[str]:
    (approach,) = valuation["report"]["approaches"]
    return sorted(v for k, v in approach["steps"].items() if k.endswith("_source"))


def purchase(api: TestClient, engine: Any, who: Party, listing_id: int) -> int:
    fund(engine, who.organization_id, PRICE)
    r = api.post(
        "/orders/purchase", json={"listing_id": listing_id, "purpose": "research"},
        headers=keyed(who.headers),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def settle(api: TestClient, engine: Any, who: Party, order_id: int) -> None:
    deliver(engine, order_id)
    r = api.post(f"/orders/{order_id}/accept", headers=keyed(who.headers))
    assert (r.status_code, r.json()["status"]) == (200, "settled"), r.text


def test_a_settled_trade_is_a_comparable_with_its_date_and_terms_and_moves_the_value(
    api: TestClient,
    asset_runtime: Runtime,
    *,
    supplier: Party,
    rival: Party,
    buyer: Party,  # noqa: F811 -- the fixture imported above
    ops: Party,
) -> None:
    engine = asset_runtime.engine
    for price in (1_000_000, 1_500_000, 2_000_000):
        list_at(api, rival, ops, fixed(price))
    asset_id = approved(api, supplier, ops)
    listing_id = int(create_listing(api, supplier, asset_id, price_model=fixed(PRICE))["id"])

    placed = api.post(
        "/orders", json={"listing_id": listing_id, "purpose": "research"},
        headers=keyed(buyer.headers),
    )  # fmt: skip
    assert placed.status_code == 201, placed.text
    cancelled = api.post(f"/orders/{placed.json()['id']}/cancel", headers=buyer.headers)
    assert cancelled.status_code == 200, cancelled.text
    delivered_only = purchase(api, engine, rival, listing_id)
    deliver(engine, delivered_only)
    paid = purchase(api, engine, buyer, listing_id)

    before = value(api, supplier, asset_id)
    assert before["value_minor"] == 1_500_000  # the three listings; no order is a trade yet
    assert not [s for s in sources(before) if s.startswith("settled_trade")]

    settle(api, engine, buyer, paid)
    after = value(api, supplier, asset_id)

    assert after["value_minor"] == (1_000_000 + 1_500_000 + 2_000_000 + PRICE) // 4
    (trade,) = [s for s in sources(after) if s.startswith("settled_trade")]
    today = datetime.now(UTC).date().isoformat()
    assert trade.startswith(
        f"settled_trade: order {paid} of listing {listing_id} (asset {asset_id}), "
        f"settled {today}, listing price {PRICE} minor CNY, quantity 1, research, "
    )
    assert "days, operation+processing_use, theme agriculture" in trade
    (approach,) = after["report"]["approaches"]
    assert approach["high_minor"] == PRICE
    assert not [k for k in approach["steps"] if k.endswith("_weight")]  # settled today: weight 1


def test_a_valuation_that_compared_trades_is_shown_only_to_insiders(
    api: TestClient,
    asset_runtime: Runtime,
    *,
    supplier: Party,
    rival: Party,
    buyer: Party,  # noqa: F811 -- the fixture imported above
    ops: Party,
) -> None:
    engine = asset_runtime.engine
    for price in (1_000_000, 1_500_000):
        list_at(api, supplier, ops, fixed(price))
    asset_id = approved(api, supplier, ops)
    without = value(api, supplier, asset_id)  # two listings: insufficient, but public
    listing_id = int(create_listing(api, supplier, asset_id, price_model=fixed(PRICE))["id"])
    settle(api, engine, buyer, purchase(api, engine, buyer, listing_id))
    other = approved(api, supplier, ops)
    with_trade = value(api, supplier, other)
    assert [s for s in sources(with_trade) if s.startswith("settled_trade")]
    create_listing(api, supplier, other)  # listed: public, with its registered revision

    for who in (rival, None):
        headers = {} if who is None else who.headers
        shown = api.get(f"/assets/{other}/valuations", headers=headers)
        assert shown.status_code == 200, shown.text
        assert shown.json() == []
        one = api.get(f"/assets/{other}/valuations/{with_trade['id']}", headers=headers)
        assert (one.status_code, one.json()["error"]) == (404, "valuation_not_found")
        page = api.get(f"/assets/{other}/valuations/{with_trade['id']}/report.html")
        assert page.status_code == 404
    listed = api.get(f"/assets/{asset_id}/valuations", headers=rival.headers).json()
    assert [v["id"] for v in listed] == [without["id"]]
    for who in (supplier, ops):
        mine = api.get(f"/assets/{other}/valuations/{with_trade['id']}", headers=who.headers)
        assert mine.status_code == 200, mine.text
        assert f"listing price {PRICE} minor CNY" in str(mine.json()["report"])


def test_a_traded_listing_is_counted_once_as_its_trade(
    api: TestClient, asset_runtime: Runtime, supplier: Party, rival: Party, ops: Party
) -> None:
    engine = asset_runtime.engine
    ids = [list_at(api, supplier, ops, fixed(p)) for p in (PRICE, 1_500_000, 2_000_000)]
    settle(api, engine, rival, purchase(api, engine, rival, ids[0]))
    asset_id = approved(api, rival, ops)

    found = sources(value(api, rival, asset_id))

    assert len(found) == 3
    assert len([s for s in found if s.startswith("settled_trade: order ")]) == 1
    assert not [s for s in found if s.startswith(f"exchange: active listing {ids[0]} (")]
