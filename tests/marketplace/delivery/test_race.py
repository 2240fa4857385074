"""Buyers racing for a licence's last downloads over a served exchange: the licence row lock lets
exactly the allowed number through, each with its own delivery.served entry."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from marketplace.client import Databourse
from tests.marketplace.cli.test_orders import listing
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange
from tests.marketplace.listings.helpers import terms
from tests.marketplace.orders.helpers import PRICE_MINOR

REQUESTS = 6
ALLOWED = 2


def test_concurrent_url_requests_never_pass_the_download_limit(
    engine: Engine, tmp_path: Path
) -> None:
    with (
        serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url,
        Databourse(url) as ops,
        Databourse(url) as buyer,
    ):
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        listing_id = listing(url, ops, tmp_path, terms=terms(max_downloads=ALLOWED))
        buyer.identity.signup("c@buyer.test", PASSWORD, organization="C", roles=["buyer"])
        ops.identity.verify_organization(buyer.identity.me().organization.id)
        buyer.books.deposit(PRICE_MINOR)
        order = buyer.orders.buy(listing_id, purpose="research")
        licence_id = buyer.delivery.licence_for_order(order.id).id
        barrier = threading.Barrier(REQUESTS)
        answers: list[tuple[int, Any]] = []

        def ask() -> None:
            with httpx.Client(base_url=url, timeout=60) as http:
                barrier.wait()
                r = http.post(
                    f"/licences/{licence_id}/download-url",
                    headers={"Authorization": f"Bearer {buyer.token}"},
                )
                answers.append((r.status_code, r.json()))

        threads = [threading.Thread(target=ask) for _ in range(REQUESTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        statuses = Counter(status for status, _ in answers)
        assert statuses == {201: ALLOWED, 403: REQUESTS - ALLOWED}, answers
        refused = {body["error"] for status, body in answers if status == 403}
        assert refused == {"download_limit_reached"}
        served = buyer.ledger.entries(kind="delivery.served").items
        assert sorted(e.payload["download"] for e in served) == [1, 2]
        assert buyer.delivery.licence(licence_id).downloads == ALLOWED
