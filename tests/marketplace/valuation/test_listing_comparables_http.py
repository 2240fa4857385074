"""The market approach reads this exchange's active listings as comparables, on both databases:
each marked ``source: exchange`` and naming its listing; beside the valuer's own; and the
"insufficient comparables" answer counts only listings that compare."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import CSV, Party, create, upload
from tests.marketplace.listings.helpers import approved, create_listing

RIGHTS = ["processing_use", "operation"]  # what the listings' terms grant (derivatives allowed)


def list_at(api: TestClient, who: Party, ops: Party, price_model: dict[str, Any]) -> int:
    asset_id = approved(api, who, ops)
    return int(create_listing(api, who, asset_id, price_model=price_model)["id"])


def fixed(amount_minor: int) -> dict[str, Any]:
    return {"kind": "fixed", "amount_minor": amount_minor}


def subject(api: TestClient, who: Party) -> tuple[int, dict[str, Any]]:
    """The supplier's asset (the same CSV as the listed ones) and market inputs that match the
    listed assets' quality report, so that every adjustment factor is 1."""
    asset_id = int(create(api, who)["id"])
    assert upload(api, who, asset_id, CSV).status_code == 201
    report = api.get(f"/assets/{asset_id}/quality", headers=who.headers).json()["report"]
    market = {
        "quality_score": report["overall"],
        "timeliness_score": 70,
        "volume_rows": report["rows"],
        "rights": RIGHTS,
        "comparables": [],
    }
    return asset_id, market


def value(api: TestClient, who: Party, asset_id: int, market: dict[str, Any]) -> dict[str, Any]:
    r = api.post(
        f"/assets/{asset_id}/valuations", json={"inputs": {"market": market}}, headers=who.headers
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_three_active_listings_value_the_asset(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    ids = [list_at(api, rival, ops, fixed(p)) for p in (1_000_000, 1_500_000, 2_000_000)]
    asset_id, market = subject(api, supplier)

    body = value(api, supplier, asset_id, market)

    (approach,) = body["report"]["approaches"]
    assert (approach["value_minor"], approach["low_minor"], approach["high_minor"]) == (
        1_500_000,
        1_000_000,
        2_000_000,
    )
    assert body["value_minor"] == 1_500_000
    sources = sorted(v for k, v in approach["steps"].items() if k.endswith("_source"))
    assert len(sources) == 3
    for listing_id, price in zip(ids, (1_000_000, 1_500_000, 2_000_000), strict=True):
        (mine,) = [s for s in sources if s.startswith(f"exchange: active listing {listing_id} (")]
        assert f"fixed price {price} minor CNY, theme agriculture" in mine
        assert mine.endswith("timeliness not judged: taken as the subject's")


def test_listings_are_read_beside_the_valuers_comparables(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    first = list_at(api, rival, ops, fixed(1_000_000))
    asset_id, market = subject(api, supplier)
    supplied = {
        "price_minor": 4_000_000,
        "quality_score": market["quality_score"],
        "timeliness_score": 70,
        "volume_rows": market["volume_rows"],
        "rights": RIGHTS,
        "source": "exchange",  # a request cannot pass its figures off as the exchange's
        "reference": "valuer's survey, 2026",
    }
    market["comparables"] = [supplied, {**supplied, "price_minor": 1_000_000}]

    body = value(api, supplier, asset_id, market)

    assert body["value_minor"] == 2_000_000  # (4,000,000 + 1,000,000 + 1,000,000) / 3
    steps = body["report"]["approaches"][0]["steps"]
    assert steps["comparable_0_source"] == "valuer: valuer's survey, 2026"
    assert steps["comparable_1_source"] == "valuer: valuer's survey, 2026"
    assert steps["comparable_2_source"].startswith(f"exchange: active listing {first} (asset ")
    assert "fixed price 1000000 minor CNY, theme agriculture" in steps["comparable_2_source"]


def test_two_comparable_listings_are_still_insufficient(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    for p in (1_000_000, 2_000_000):
        list_at(api, rival, ops, fixed(p))
    list_at(api, rival, ops, {"kind": "subscription", "amount_minor": 90_000, "period": "month"})
    asset_id, market = subject(api, supplier)

    body = value(api, supplier, asset_id, market)

    assert body["value_minor"] is None
    (approach,) = body["report"]["approaches"]
    assert approach["note"] == "insufficient comparables: 2 of at least 3"
