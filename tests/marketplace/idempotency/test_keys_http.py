"""An ``Idempotency-Key`` on placing an order: a replay gets the first answer and places nothing
more; the same key for another request is refused; each organisation's keys are its own; a
failed attempt can be retried; an expired key is a new key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from ledger.models import utc_now
from marketplace import limits
from marketplace.db import unit_of_work
from marketplace.idempotency import route, service
from marketplace.idempotency.errors import IdempotencyInFlight
from marketplace.orders import service as orders_service
from marketplace.orders.errors import OrderStateConflict
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import on_sale, order_kinds

KEY = "5b0c6a3e-9a51-4f4e-8f0e-2d7c1b9a4e11"


def _order(api: TestClient, who: Party, listing_id: int, key: str, **body: Any) -> Any:
    return api.post(
        "/orders", json={"listing_id": listing_id, "purpose": "research", **body},
        headers={**who.headers, "Idempotency-Key": key},
    )  # fmt: skip


def _orders_of(api: TestClient, who: Party) -> list[int]:
    return [o["id"] for o in api.get("/orders", headers=who.headers).json()["items"]]


def test_a_replay_gets_the_first_answer_and_places_nothing_more(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    first = _order(api, buyer, listing["id"], KEY)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    for _ in range(3):
        again = _order(api, buyer, listing["id"], KEY)
        assert (again.status_code, again.content) == (201, first.content)
        assert again.headers["content-type"] == first.headers["content-type"]
        assert again.headers["idempotent-replayed"] == "true"
    assert _orders_of(api, buyer) == [first.json()["id"]]
    assert order_kinds(api) == ["order.placed"]


def test_the_same_body_reserialised_is_a_replay(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    headers = {**buyer.headers, "Idempotency-Key": KEY, "content-type": "application/json"}
    compact = f'{{"listing_id":{listing["id"]},"purpose":"research"}}'
    spaced = f'{{ "purpose": "research", "listing_id": {listing["id"]} }}'
    first = api.post("/orders", content=compact, headers=headers)
    again = api.post("/orders", content=spaced, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert order_kinds(api) == ["order.placed"]


def test_the_same_key_for_another_request_is_a_422_and_places_nothing(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    other = on_sale(api, supplier, ops)
    assert _order(api, buyer, listing["id"], KEY).status_code == 201
    for r in (
        _order(api, buyer, other["id"], KEY),
        _order(api, buyer, listing["id"], KEY, purpose="commercial"),
    ):
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "idempotency_key_reused"
        assert "different request" in r.json()["message"]
    assert order_kinds(api) == ["order.placed"]


def test_another_organisations_identical_key_is_its_own(
    api: TestClient, supplier: Party, buyer: Party, rival: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    mine = _order(api, buyer, listing["id"], KEY)
    theirs = _order(api, rival, listing["id"], KEY)
    assert (mine.status_code, theirs.status_code) == (201, 201), theirs.text
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["buyer_organization_id"] == rival.organization_id
    assert _orders_of(api, rival) == [theirs.json()["id"]]
    assert _orders_of(api, buyer) == [mine.json()["id"]]


@pytest.mark.parametrize(
    ("key", "code"),
    [
        (None, "idempotency_key_required"),
        ("", "idempotency_key_invalid"),
        ("has space", "idempotency_key_invalid"),
        ("k" * (limits.idempotency_key_chars_max + 1), "idempotency_key_invalid"),
        ("caf\u00e9".encode(), "idempotency_key_invalid"),  # UTF-8 bytes
    ],
)
def test_a_missing_or_malformed_key_is_a_400_and_places_nothing(
    *,
    api: TestClient,
    supplier: Party,
    buyer: Party,
    ops: Party,
    key: str | bytes | None,
    code: str,
) -> None:
    listing = on_sale(api, supplier, ops)
    headers: dict[str, str | bytes] = dict(buyer.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    body = {"listing_id": listing["id"], "purpose": "research"}
    r = api.post("/orders", json=body, headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == code
    assert "Idempotency-Key" in r.json()["message"]
    assert order_kinds(api) == []


def test_the_longest_key_is_accepted(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    key = "~" * limits.idempotency_key_chars_max
    assert _order(api, buyer, listing["id"], key).status_code == 201


def test_a_refusal_is_stored_and_replayed_even_after_the_reason_is_gone(
    api: TestClient, supplier: Party, buyer: Party, rival: Party, ops: Party
) -> None:
    """A 4xx is the request's answer (as Stripe's keys keep them): retrying the same key gets it
    again; a new attempt takes a new key."""
    listing = on_sale(api, supplier, ops, terms={"exclusive": True})
    held = _order(api, rival, listing["id"], "rival-key").json()
    refused = _order(api, buyer, listing["id"], KEY)
    assert refused.status_code == 409
    assert refused.json()["error"] == "exclusive_taken"
    assert api.post(f"/orders/{held['id']}/cancel", headers=rival.headers).status_code == 200

    again = _order(api, buyer, listing["id"], KEY)
    assert (again.status_code, again.content) == (409, refused.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert _order(api, buyer, listing["id"], "a-new-key").status_code == 201


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (RuntimeError("the disk caught fire"), 500),
        # A refusal sent with Retry-After says "not now", not the request's answer.
        (OrderStateConflict("another request is placing this; try again", retry_after_s=1), 409),
    ],
)
def test_a_failed_attempt_does_not_poison_its_key(
    *,
    api: TestClient,
    supplier: Party,
    buyer: Party,
    ops: Party,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
    status: int,
) -> None:
    listing = on_sale(api, supplier, ops)
    place = orders_service.place

    def fail(*args: Any, **kwargs: Any) -> Any:
        place(*args, **kwargs)  # writes the order and its journal entry, then fails
        raise failure

    monkeypatch.setattr(orders_service, "place", fail)
    failed = _order(api, buyer, listing["id"], KEY)
    assert failed.status_code == status
    if status == 409:
        assert failed.headers["retry-after"] == "1"
    assert order_kinds(api) == []  # rolled back
    monkeypatch.setattr(orders_service, "place", place)

    retried = _order(api, buyer, listing["id"], KEY)
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert order_kinds(api) == ["order.placed"]


def test_an_expired_key_is_a_new_key_and_expired_keys_are_purged(
    *,
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    buyer: Party,
    ops: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listing = on_sale(api, supplier, ops)
    first = _order(api, buyer, listing["id"], KEY)
    assert _order(api, buyer, listing["id"], KEY).json() == first.json()
    assert _order(api, buyer, listing["id"], "another-key").status_code == 201
    past = utc_now() - timedelta(seconds=1)
    with asset_runtime.engine.begin() as conn:
        conn.execute(text("UPDATE idempotency_record SET expires_at = :t"), {"t": past})

    monkeypatch.setattr(route, "_purge_clock", route._PurgeClock())  # a purge is due
    second = _order(api, buyer, listing["id"], KEY)
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first.json()["id"]
    assert order_kinds(api) == ["order.placed"] * 3
    with asset_runtime.engine.connect() as conn:  # "another-key" was purged, KEY replaced
        keys = conn.execute(text("SELECT key FROM idempotency_record")).scalars().all()
    assert keys == [KEY]


def _claim_as_a_crashed_process(runtime: Runtime, buyer: Party, listing_id: int) -> service.Claim:
    """Claim ``KEY`` for the request ``_order`` sends, the way a process would that then died."""
    with unit_of_work(runtime.engine) as session:
        outcome = service.claim(
            session,
            service.KeyedRequest(
                organization_id=buyer.organization_id, route="POST /orders", key=KEY,
                request_sha256=_digest_of_order(listing_id),
            ),
            now=utc_now(), ttl_s=3600,
        )  # fmt: skip
    assert isinstance(outcome, service.Claim)
    return outcome


def _digest_of_order(listing_id: int) -> str:
    import hashlib
    import json

    digest = hashlib.sha256()
    for part in (b"POST", b"/orders", b""):
        digest.update(len(part).to_bytes(8, "big") + part)
    body = {"listing_id": listing_id, "purpose": "research"}
    digest.update(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    return digest.hexdigest()


def test_a_key_in_flight_is_a_409_until_its_claim_goes_stale(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    crashed = _claim_as_a_crashed_process(asset_runtime, buyer, listing["id"])
    r = _order(api, buyer, listing["id"], KEY)
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "idempotency_in_flight"
    assert r.headers["retry-after"] == "1"
    assert order_kinds(api) == []

    stale = utc_now() - timedelta(seconds=limits.idempotency_claim_stale_s + 1)
    with asset_runtime.engine.begin() as conn:
        conn.execute(text("UPDATE idempotency_record SET claimed_at = :t"), {"t": stale})
    r = _order(api, buyer, listing["id"], KEY)
    assert r.status_code == 201, r.text
    assert order_kinds(api) == ["order.placed"]

    # The crashed attempt, had it only been slow, could no longer store an answer.
    with (
        pytest.raises(IdempotencyInFlight),
        unit_of_work(asset_runtime.engine) as session,
    ):
        service.answer(session, crashed, service.StoredResponse(201, {}, b"{}"))
    assert _order(api, buyer, listing["id"], KEY).json() == r.json()
