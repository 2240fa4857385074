"""A ruling racing the suspension of its arbitrator's organisation (docs/disputes.md,
"Re-drawing"): whichever locks the dispute first wins, never in a cycle. The ruling locks the
dispute, then the journal head; the suspension locks the organisation, then the dispute, then
the head.

Each test holds one side (patched) once it holds what it locks first, for at most ``HOLD_S``,
while the other is asked for, so that the interleaving is the same every run. On SQLite every
transaction takes the one write lock first: the second waits for the first to commit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.disputes import repository
from marketplace.disputes.service import draw, rulings
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.disputes.conftest import arbitrator
from tests.marketplace.disputes.helpers import after_evidence, at, open_dispute, paid_order
from tests.marketplace.disputes.test_redraw_http import _by_account, _drawn, _draws
from tests.marketplace.identity.helpers import serving

#: How long the side that went first waits, holding its first lock, for the other to start.
HOLD_S = 2.0
RULING = {"outcome": "refund", "reasons": "Compared with the anchored report."}


def _held(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    holds: threading.Event,
    until: threading.Event,
) -> None:
    """``repository.<name>`` (or ``draw.<name>``) sets ``holds`` and waits for ``until``."""
    owner = repository if hasattr(repository, name) else draw
    original: Callable[..., Any] = getattr(owner, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        holds.set()
        until.wait(HOLD_S)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, held)


def _signalling(monkeypatch: pytest.MonkeyPatch, name: str, done: threading.Event) -> None:
    """``repository.<name>`` sets ``done`` once it returns."""
    original: Callable[..., Any] = getattr(repository, name)

    def signalling(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        done.set()
        return found

    monkeypatch.setattr(repository, name, signalling)


@contextmanager
def _clients(runtime: Runtime) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    with (
        serving(create_app(runtime=runtime)) as served,
        httpx.Client(base_url=served.url, timeout=60) as first,
        httpx.Client(base_url=served.url, timeout=60) as second,
    ):
        yield first, second


def _suspend(http: httpx.Client, ops: Party, who: Party) -> httpx.Response:
    return http.post(
        f"/organizations/{who.organization_id}/suspend",
        json={"reason": "took money from a party"},
        headers=ops.headers,
    )


def test_a_ruling_that_locked_the_dispute_first_stands_and_nothing_is_redrawn(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    judges = _by_account(api, [judge, arbitrator(api, ops, 2)])
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    dispute = open_dispute(api, buyer, order["id"])
    (first,) = _drawn(dispute)
    at(monkeypatch, after_evidence(dispute))
    ruling_holds_dispute, suspension_wants_it = threading.Event(), threading.Event()
    _held(monkeypatch, "add_ruling", ruling_holds_dispute, suspension_wants_it)
    _signalling(monkeypatch, "pending_of_organization", suspension_wants_it)

    with _clients(asset_runtime) as (one, two), ThreadPoolExecutor(1) as pool:
        path = f"/disputes/{dispute['id']}/ruling"
        ruling = pool.submit(lambda: one.post(path, json=RULING, headers=judges[first].headers))
        assert ruling_holds_dispute.wait(30)
        suspended = _suspend(two, ops, judges[first])
        ruled = ruling.result(60)

    assert ruled.status_code == 200, ruled.text
    assert suspended.status_code == 200, suspended.text
    shown = api.get(f"/disputes/{dispute['id']}", headers=buyer.headers).json()
    assert (shown["status"], shown["outcome"]) == ("ruled", "refund")
    assert _drawn(shown) == [first]  # it ruled: its ruling stands, nothing re-drawn
    assert len(_draws(api, dispute["id"])) == 1


def test_a_ruling_after_the_suspension_locked_the_dispute_is_refused_and_the_new_arbitrator_rules(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    judges = _by_account(api, [judge, arbitrator(api, ops, 2)])
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    dispute = open_dispute(api, buyer, order["id"])
    (first,) = _drawn(dispute)
    at(monkeypatch, after_evidence(dispute))
    suspension_holds_dispute, ruling_wants_it = threading.Event(), threading.Event()
    _held(monkeypatch, "replace", suspension_holds_dispute, ruling_wants_it)
    arbitrator_of = rulings._arbitrator_of

    def signalling_arbitrator_of(*args: Any, **kwargs: Any) -> Any:
        ruling_wants_it.set()  # authenticated; it locks the dispute next
        return arbitrator_of(*args, **kwargs)

    monkeypatch.setattr(rulings, "_arbitrator_of", signalling_arbitrator_of)

    with _clients(asset_runtime) as (one, two), ThreadPoolExecutor(1) as pool:
        suspension = pool.submit(lambda: _suspend(one, ops, judges[first]))
        assert suspension_holds_dispute.wait(30)
        path = f"/disputes/{dispute['id']}/ruling"
        refused = two.post(path, json=RULING, headers=judges[first].headers)
        suspended = suspension.result(60)

    assert suspended.status_code == 200, suspended.text
    # PostgreSQL: the token was checked before the suspension committed, and the ruling, once it
    # has the dispute's lock, finds its caller no longer drawn. SQLite: the request waited for
    # the suspension's write lock, and its token is revoked.
    if asset_runtime.engine.dialect.name == "postgresql":
        assert (refused.status_code, refused.json()["error"]) == (404, "dispute_not_found")
    else:
        assert (refused.status_code, refused.json()["error"]) == (401, "token_revoked")
    shown = api.get(f"/disputes/{dispute['id']}", headers=buyer.headers).json()
    assert shown["status"] == "open"
    (second,) = _drawn(shown)
    r = api.post(path, json=RULING, headers=judges[second].headers)
    assert r.status_code == 200, r.text
