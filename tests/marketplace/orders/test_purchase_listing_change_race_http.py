"""A purchase racing its listing's pause (or its asset's delisting) over a real server: the
purchase and the change are ordered, never interleaved. Either the order is placed first and the
listing paused after it, or the pause comes first and the purchase is refused 409
``not_purchasable``; no order is placed after the journal says the listing was paused, and
neither side gets a 503 for a deadlock.

Each test holds the purchase at one point (patched in this process, where the server runs) for
at most ``HOLD_S`` while the supplier pauses the listing, so that the interleaving is the same
every run: after the purchase has read the listing, and after it has locked the journal head."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from marketplace.client import Databourse
from marketplace.listings.service import changes
from marketplace.orders.service import placement
from tests.marketplace.assets.helpers import CHECKLIST_OK
from tests.marketplace.client.conftest import uploaded
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange
from tests.marketplace.listings.helpers import offer
from tests.marketplace.orders.helpers import PRICE_MINOR, keyed
from tests.marketplace.orders.money import balance, fund, reconciled

#: How long the purchase waits, at its held point, for the pause to get through.
HOLD_S = 2.0


@dataclass(frozen=True)
class World:
    """A served exchange with a fixed-price listing and a buyer funded with its price exactly
    (the seller's and the buyer's bearer tokens)."""

    engine: Engine
    url: str
    seller: str
    buyer: str
    buyer_org: int
    listing_id: int

    def purchase(self) -> httpx.Response:
        auth = {"Authorization": f"Bearer {self.buyer}"}
        return httpx.post(
            f"{self.url}/orders/purchase", json={"listing_id": self.listing_id,
            "purpose": "research"}, headers=keyed(auth), timeout=60,
        )  # fmt: skip

    def pause(self) -> httpx.Response:
        auth = {"Authorization": f"Bearer {self.seller}"}
        return httpx.post(f"{self.url}/listings/{self.listing_id}/pause", headers=auth, timeout=60)

    def seqs(self, kind: str) -> list[int]:
        got = httpx.get(f"{self.url}/ledger/entries", params={"kind": kind}).json()
        return [int(e["seq"]) for e in got["items"]]


@contextmanager
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with (
        serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url,
        Databourse(url) as ops,
        Databourse(url) as seller,
        Databourse(url) as buyer,
    ):
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        seller.identity.signup("sam@seller.test", PASSWORD, organization="Sam",
                               roles=["supplier"])  # fmt: skip
        ops.identity.verify_organization(seller.identity.me().organization.id)
        asset_id = uploaded(seller, tmp_path)
        seller.assets.submit(asset_id)
        ops.assets.review(asset_id, decision="approved", checklist=CHECKLIST_OK)
        r = httpx.post(f"{url}/listings", json=offer(asset_id),
                       headers={"Authorization": f"Bearer {seller.token}"})  # fmt: skip
        assert r.status_code == 201, r.text
        buyer.identity.signup("bea@buyer.test", PASSWORD, organization="Bea",
                              roles=["buyer"])  # fmt: skip
        buyer_org = buyer.identity.me().organization.id
        ops.identity.verify_organization(buyer_org)
        fund(engine, buyer_org, PRICE_MINOR)
        assert seller.token is not None
        assert buyer.token is not None
        yield World(engine, url, seller.token, buyer.token, buyer_org, int(r.json()["id"]))


def _held(original: Callable[..., Any], reached: threading.Event, go: threading.Event) -> Any:
    def held(*args: Any, **kwargs: Any) -> Any:
        reached.set()
        go.wait(HOLD_S)
        return original(*args, **kwargs)

    return held


def _race(w: World, reached: threading.Event, go: threading.Event) -> tuple[Any, Any]:
    """The purchase in a thread, held at ``reached`` until ``go`` (or ``HOLD_S``); the pause
    sent once it is held. Both answers."""
    answers: dict[str, httpx.Response] = {}
    buying = threading.Thread(target=lambda: answers.setdefault("buy", w.purchase()))
    buying.start()
    assert reached.wait(30)
    answers["pause"] = w.pause()
    go.set()
    buying.join(60)
    return answers["buy"], answers["pause"]


def _ordered(w: World, bought: httpx.Response, paused: httpx.Response) -> None:
    assert paused.status_code == 200, paused.text
    if bought.status_code == 201:
        (placed,) = w.seqs("order.placed")
        (pause_seq,) = w.seqs("listing.paused")
        assert placed < pause_seq, "an order was placed after its listing was paused"
        assert balance(w.engine, w.buyer_org) == (0, PRICE_MINOR)
    else:
        assert bought.status_code == 409, bought.text
        assert bought.json()["error"] == "not_purchasable"
        assert w.seqs("order.placed") == []


def test_a_pause_after_the_purchase_read_the_listing_is_not_overtaken(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reached, go = threading.Event(), threading.Event()
    # Held after the listing was read and found active, before anything was written.
    monkeypatch.setattr(placement, "_claim_free", _held(placement._claim_free, reached, go))
    with world(engine, tmp_path) as w:
        bought, paused = _race(w, reached, go)
        _ordered(w, bought, paused)
        assert reconciled(engine)


def test_a_pause_while_the_purchase_holds_the_journal_head_is_no_deadlock(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head_held, listing_locked = threading.Event(), threading.Event()
    # The purchase: held once it has locked the journal head, before it inserts its order.
    monkeypatch.setattr(placement, "_insert", _held(placement._insert, head_held, listing_locked))
    original_locked = changes._locked

    def pause_locks(*args: Any, **kwargs: Any) -> Any:
        row = original_locked(*args, **kwargs)
        listing_locked.set()  # the pause holds the listing; it now wants the journal head
        return row

    monkeypatch.setattr(changes, "_locked", pause_locks)
    with world(engine, tmp_path) as w:
        answers: dict[str, httpx.Response] = {}
        buying = threading.Thread(target=lambda: answers.setdefault("buy", w.purchase()))
        buying.start()
        assert head_held.wait(30)
        answers["pause"] = w.pause()
        buying.join(60)
        bought, paused = answers["buy"], answers["pause"]
        assert 503 not in (bought.status_code, paused.status_code), (bought.text, paused.text)
        _ordered(w, bought, paused)
        assert reconciled(engine)
