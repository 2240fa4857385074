"""Helpers for the auction tests: a movable clock, an exclusive listing, an auction, sealed
bids."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from ledger.models import utc_now
from marketplace.auctions.commitment import commitment
from tests.marketplace.assets.helpers import Party
from tests.marketplace.listings.helpers import approved, create_listing, terms

RESERVE = 100_000
PURPOSE = "research"


@dataclass
class Clock:
    now: datetime = field(default_factory=utc_now)

    def read(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def exclusive_listing(api: TestClient, supplier: Party, ops: Party, **overrides: Any) -> int:
    asset_id = approved(api, supplier, ops)
    body = create_listing(api, supplier, asset_id, terms=terms(exclusive=True), **overrides)
    return int(body["id"])


def auction_body(listing_id: int, clock: Clock, **overrides: Any) -> dict[str, Any]:
    return {
        "listing_id": listing_id,
        "reserve_minor": RESERVE,
        "commit_deadline": (clock.now + timedelta(hours=1)).isoformat(),
        "reveal_deadline": (clock.now + timedelta(hours=2)).isoformat(),
        **overrides,
    }


def open_auction(
    api: TestClient, supplier: Party, listing_id: int, clock: Clock, **overrides: Any
) -> dict[str, Any]:
    r = api.post(
        "/auctions", json=auction_body(listing_id, clock, **overrides), headers=supplier.headers
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def salt(n: int) -> str:
    return "0x" + f"{n:064x}"


def commit(
    api: TestClient, who: Party, auction_id: int, amount: int, n: int = 1, purpose: str = PURPOSE
) -> Any:
    body = {"commitment": commitment(auction_id, who.address, amount, salt(n)), "purpose": purpose}
    return api.post(f"/auctions/{auction_id}/bids", json=body, headers=who.headers)


def reveal(api: TestClient, who: Party, auction_id: int, amount: int, n: int = 1) -> Any:
    body = {"amount_minor": amount, "salt": salt(n)}
    return api.post(f"/auctions/{auction_id}/reveal", json=body, headers=who.headers)


def entries(api: TestClient, auction_id: int) -> list[dict[str, Any]]:
    r = api.get("/ledger/entries", params={"subject": f"auction:{auction_id}"})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def kinds(api: TestClient, auction_id: int) -> list[str]:
    return [e["kind"] for e in entries(api, auction_id)]
