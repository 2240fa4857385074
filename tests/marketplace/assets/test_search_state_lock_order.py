"""An operator delisting an asset while its supplier pauses one of the asset's listings: one
waits for the other, never in a cycle. Both write the catalog search index rows of the listing.
The delisting locked the asset, wrote the index rows of the asset's listings (their
visibility), then took the journal head; the pause locks the listing, takes the journal head
(``listing.paused``) and then removes the listing's index rows. So the two deadlocked on
PostgreSQL and one answered 503.

The pause is held (patched) once it holds the journal head, before it touches the index, for at
most ``HOLD_S``, while the delisting is sent, so that the interleaving is the same every run."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.assets.service import journaling
from marketplace.listings import indexing
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import entries, on_sale

#: How long the pause waits, holding the journal head, for the delisting to write the index.
HOLD_S = 2.0


def test_delisting_an_asset_while_its_listing_is_paused_is_no_deadlock(
    api: TestClient, supplier: Party, ops: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing = on_sale(api, supplier, ops)
    asset_id, listing_id = int(listing["asset_id"]), int(listing["id"])
    pause_holds_head, delist_wrote_index = threading.Event(), threading.Event()
    listing_changed, search_state = indexing.listing_changed, journaling.search_state

    def held_listing_changed(*args: Any, **kwargs: Any) -> Any:
        pause_holds_head.set()  # listing.paused is written: the pause holds the head
        delist_wrote_index.wait(HOLD_S)
        return listing_changed(*args, **kwargs)

    def signalling_search_state(*args: Any, **kwargs: Any) -> Any:
        search_state(*args, **kwargs)
        delist_wrote_index.set()  # the delisting holds the index rows; it wants the head

    monkeypatch.setattr(indexing, "listing_changed", held_listing_changed)
    monkeypatch.setattr(journaling, "search_state", signalling_search_state)
    answers: dict[str, Any] = {}
    pausing = threading.Thread(
        target=lambda: answers.setdefault(
            "pause", api.post(f"/listings/{listing_id}/pause", headers=supplier.headers)
        )
    )
    pausing.start()
    assert pause_holds_head.wait(30)
    answers["delist"] = api.post(f"/assets/{asset_id}/delist", headers=ops.headers)
    pausing.join(60)

    got = {name: (r.status_code, r.text) for name, r in answers.items()}
    assert got["pause"][0] == 200, got
    assert got["delist"][0] == 200, got
    assert api.get(f"/assets/{asset_id}", headers=ops.headers).json()["status"] == "delisted"
    assert [e["kind"] for e in entries(api, f"listing:{listing_id}")][-1] == "listing.paused"
