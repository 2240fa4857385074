"""GET /assets/{id}/price-suggestion over HTTP, on both databases: from a valuation, from
comparable active listings, from both, or from nothing; and who may ask."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import CSV, Party, create, upload
from tests.marketplace.listings.helpers import approved, create_listing

INCOME: dict[str, Any] = {  # docs/valuation.md's worked example: 497,370 fen
    "annual_income_minor": 1_000_000,
    "income_share": "0.2",
    "discount_rate": "0.1",
    "horizon_years": 3,
}


def suggestion(api: TestClient, who: Party | None, asset_id: int) -> Any:
    headers = who.headers if who is not None else {}
    return api.get(f"/assets/{asset_id}/price-suggestion", headers=headers)


def own_asset(api: TestClient, who: Party, **overrides: Any) -> int:
    asset_id = int(create(api, who, **overrides)["id"])
    assert upload(api, who, asset_id, CSV).status_code == 201
    return asset_id


def listed_at(
    api: TestClient, who: Party, ops: Party, price_model: dict[str, Any], **overrides: Any
) -> int:
    asset_id = approved(api, who, ops, **overrides)
    return int(create_listing(api, who, asset_id, price_model=price_model)["id"])


def fixed(amount_minor: int) -> dict[str, Any]:
    return {"kind": "fixed", "amount_minor": amount_minor}


def test_nothing_to_go_on_gives_no_suggestion_and_says_why(
    api: TestClient, supplier: Party
) -> None:
    asset_id = own_asset(api, supplier)

    r = suggestion(api, supplier, asset_id)

    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["low_minor"], body["mid_minor"], body["high_minor"]) == (None, None, None)
    assert body["reasoning"][-1] == "No valuation and no comparables: no suggestion."
    assert "The asset has no valuation." in body["reasoning"]
    assert (body["valuation"], body["comparables"], body["trades"]) == (None, [], [])


def test_a_valuation_gives_its_range(api: TestClient, supplier: Party) -> None:
    asset_id = own_asset(api, supplier)
    r = api.post(
        f"/assets/{asset_id}/valuations",
        json={"inputs": {"income": INCOME}},
        headers=supplier.headers,
    )
    assert r.status_code == 201, r.text

    body = suggestion(api, supplier, asset_id).json()

    assert (body["low_minor"], body["mid_minor"], body["high_minor"]) == (
        497_370,
        497_370,
        497_370,
    )
    assert body["valuation"]["valuation_id"] == r.json()["id"]
    assert body["reasoning"][0].startswith(
        f"The latest valuation with a value (#{r.json()['id']}, indicative, of revision 1"
    )
    assert body["reasoning"][-1] == (
        "Suggested: 4,973.70 CNY to 4,973.70 CNY, 4,973.70 CNY in the middle."
    )


def test_a_newer_valuation_without_value_is_passed_over_and_counted(
    api: TestClient, supplier: Party
) -> None:
    asset_id = own_asset(api, supplier)
    for inputs in (
        {"income": INCOME},
        {"market": {"quality_score": 90, "timeliness_score": 90, "volume_rows": 10,
                    "rights": ["processing_use"], "comparables": []}},
    ):  # fmt: skip
        r = api.post(
            f"/assets/{asset_id}/valuations", json={"inputs": inputs}, headers=supplier.headers
        )
        assert r.status_code == 201, r.text

    body = suggestion(api, supplier, asset_id).json()

    assert body["mid_minor"] == 497_370
    assert "1 newer valuation gives no value, so cannot be used." in body["reasoning"]


def test_comparable_listings_of_the_same_theme_give_the_range(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    asset_id = own_asset(api, supplier)  # theme agriculture, the same CSV: sizes equal
    ids = [listed_at(api, rival, ops, fixed(p)) for p in (100_000, 300_000, 200_000)]
    per_month = listed_at(
        api, rival, ops, {"kind": "subscription", "amount_minor": 9_000, "period": "month"}
    )
    listed_at(api, rival, ops, fixed(5), theme="transport")  # another theme: not comparable

    body = suggestion(api, supplier, asset_id).json()

    assert sorted(c["listing_id"] for c in body["comparables"]) == sorted(ids)
    assert [c["listing_id"] for c in body["left_out"]] == [per_month]
    assert (body["low_minor"], body["mid_minor"], body["high_minor"]) == (
        100_000,
        200_000,
        300_000,
    )
    assert (
        "The 3 comparable listings give 1,000.00 CNY to 3,000.00 CNY, median 2,000.00 CNY."
        in (body["reasoning"])
    )
    assert any(
        s.startswith(f"Left out 1 comparable listing(s) (#{per_month})")
        for s in (body["reasoning"])
    )


def test_valuation_and_listings_weigh_equally(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    asset_id = own_asset(api, supplier)
    r = api.post(
        f"/assets/{asset_id}/valuations",
        json={"inputs": {"income": INCOME}},
        headers=supplier.headers,
    )
    assert r.status_code == 201, r.text
    listed_at(api, rival, ops, fixed(102_630))

    body = suggestion(api, supplier, asset_id).json()

    # (497,370 + 102,630) / 2 for each bound
    assert (body["low_minor"], body["mid_minor"], body["high_minor"]) == (
        300_000,
        300_000,
        300_000,
    )


def test_only_the_owner_may_ask(api: TestClient, supplier: Party, rival: Party, ops: Party) -> None:
    draft = own_asset(api, supplier)
    listed = approved(api, supplier, ops)
    create_listing(api, supplier, listed)

    assert suggestion(api, None, listed).status_code == 401
    r = suggestion(api, rival, listed)
    assert (r.status_code, r.json()["error"]) == (403, "not_asset_owner")
    assert "only its owner may ask for a price suggestion" in r.json()["message"]
    assert suggestion(api, ops, listed).status_code == 403
    r = suggestion(api, rival, draft)  # a draft the rival may not see: as if it did not exist
    assert r.status_code == 404
    assert suggestion(api, supplier, 2**63 - 1).status_code == 404
    assert suggestion(api, supplier, 2**63).status_code == 422
    assert suggestion(api, supplier, listed).status_code == 200
