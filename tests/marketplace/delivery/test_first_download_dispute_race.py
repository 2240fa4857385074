"""An order's first download (which moves it to delivered) racing a dispute of it over a served
exchange: one waits for the other, never in a cycle. Opening a dispute locks the order, then the
journal head; the first download used to lock the licence, then the journal head (its
``delivery.served``), then the order, so the two deadlocked on PostgreSQL and the buyer got a
503 for its download.

The download is held (patched in this process, where the server runs) once it has written
``delivery.served``, for at most ``HOLD_S``, while the dispute is opened, so that the
interleaving is the same every run."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from marketplace.client import Databourse
from marketplace.delivery.service import seams
from marketplace.orders import service as orders
from tests.marketplace.cli.test_orders import listing
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange
from tests.marketplace.orders.helpers import PRICE_MINOR, keyed
from tests.marketplace.orders.money import reconciled

#: How long the download waits, holding what it holds, for the dispute to lock the order.
HOLD_S = 2.0


def test_a_dispute_opened_during_the_first_download_is_no_deadlock(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    download_served, dispute_holds_order = threading.Event(), threading.Event()
    first_served, party_order = seams.first_served, orders.party_order

    def held_first_served(*args: Any, **kwargs: Any) -> None:
        download_served.set()
        dispute_holds_order.wait(HOLD_S)
        first_served(*args, **kwargs)

    def signalling_party_order(*args: Any, **kwargs: Any) -> Any:
        found = party_order(*args, **kwargs)
        dispute_holds_order.set()
        return found

    monkeypatch.setattr(seams, "first_served", held_first_served)
    monkeypatch.setattr(orders, "party_order", signalling_party_order)
    with (
        serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url,
        Databourse(url) as ops,
        Databourse(url) as buyer,
        Databourse(url) as arbiter,
    ):
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        listing_id = listing(url, ops, tmp_path)
        arbiter.identity.signup("ari@arbiters.test", PASSWORD, organization="Ari")
        arbiter_org = arbiter.identity.me().organization.id
        ops.identity.verify_organization(arbiter_org)
        ops.identity.grant_role(arbiter_org, "arbitrator")
        buyer.identity.signup("c@buyer.test", PASSWORD, organization="C", roles=["buyer"])
        ops.identity.verify_organization(buyer.identity.me().organization.id)
        buyer.books.deposit(PRICE_MINOR + 100_000)  # the price and the arbitration fee
        order = buyer.orders.buy(listing_id, purpose="research")
        licence_id = buyer.delivery.licence_for_order(order.id).id
        auth = {"Authorization": f"Bearer {buyer.token}"}
        answers: dict[str, httpx.Response] = {}

        def download() -> None:
            answers["download"] = httpx.post(
                f"{url}/licences/{licence_id}/download-url", headers=auth, timeout=60
            )

        downloading = threading.Thread(target=download)
        downloading.start()
        assert download_served.wait(30)
        answers["dispute"] = httpx.post(
            f"{url}/orders/{order.id}/disputes", headers=keyed(auth), timeout=60,
            json={"reason": "not_as_described", "statement": "not what the listing says"},
        )  # fmt: skip
        downloading.join(60)
        got = {name: (r.status_code, r.text) for name, r in answers.items()}
        assert got["download"][0] == 201, got
        assert got["dispute"][0] == 201, got
        assert buyer.orders.get(order.id).status == "disputed"
        kinds = [e.kind for e in buyer.ledger.entries(kind="order.delivered").items]
        assert kinds == ["order.delivered"]
        assert reconciled(engine)
