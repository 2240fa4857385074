"""Helpers for the auction tests: a movable clock, an exclusive listing, an auction, sealed
bids."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ledger.models import utc_now
from marketplace.app import create_app
from marketplace.auctions.commitment import commitment
from marketplace.auctions.endpoints import current_time
from marketplace.client import Databourse
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import CHECKLIST_OK, CSV, Party, metadata
from tests.marketplace.identity.helpers import CHAIN_ID, PASSWORD, make_operator, serve
from tests.marketplace.listings.helpers import FIXED, approved, create_listing, terms

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


def auction_body(listing_id: int, clock: Clock, /, **overrides: Any) -> dict[str, Any]:
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
    api: TestClient, who: Party, auction_id: int, amount: int, n: int = 1, *, purpose: str = PURPOSE
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


@contextmanager
def served_exchange(engine: Engine, blob_dir: Path, clock: Clock) -> Iterator[str]:
    """A real server whose auctions read ``clock`` (so the client and CLI tests move time
    without sleeping); yields its base URL."""
    runtime = Runtime(settings=settings_for(engine, blob_url=f"file://{blob_dir}"), engine=engine)
    runtime.chain_id = CHAIN_ID
    make_operator(runtime)
    app = create_app(runtime=runtime)
    app.dependency_overrides[current_time] = clock.read
    with serve(app) as url:
        yield url


def client_party(
    base_url: str, ops: Databourse, email: str, name: str, roles: list[str]
) -> Databourse:
    """A verified organisation's client, logged in."""
    client = Databourse(base_url)
    client.identity.signup(email, PASSWORD, organization=name, roles=roles)
    ops.identity.verify_organization(client.identity.me().organization.id)
    return client


def client_exclusive_listing(base_url: str, supplier: Databourse, ops: Databourse) -> int:
    """An approved asset of ``supplier`` offered under exclusive terms; returns the listing id."""
    asset = supplier.assets.register(metadata())
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "prices.csv"
        source.write_bytes(CSV)
        supplier.assets.upload_revision(asset.id, source, content_format="csv")
    supplier.assets.submit(asset.id)
    ops.assets.review(asset.id, decision="approved", checklist=CHECKLIST_OK)
    body = {"asset_id": asset.id, "terms": terms(exclusive=True), "price_model": FIXED}
    headers = {"Authorization": f"Bearer {supplier.token}"}
    r = httpx.post(f"{base_url}/listings", json=body, headers=headers, timeout=30)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])
