"""Re-drawing (docs/disputes.md, "Re-drawing"): suspending an arbitration body replaces its
arbitrators still to rule or vote, in the same transaction, by a recorded draw the parties see;
a dispute with no other eligible arbitrator keeps its arbitrator until an operator re-draws it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.disputes.service.draw import draw, seed
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.disputes.conftest import arbitrator
from tests.marketplace.disputes.helpers import (
    after_evidence,
    at,
    open_dispute,
    paid_order,
    post_ruling,
)
from tests.marketplace.disputes.test_appeal_http import vote
from tests.marketplace.identity.helpers import PASSWORD, bearer
from tests.marketplace.orders.helpers import entries, keyed


def _suspend(api: TestClient, ops: Party, who: Party) -> None:
    r = api.post(
        f"/organizations/{who.organization_id}/suspend",
        json={"reason": "took money from a party"},
        headers=ops.headers,
    )
    assert r.status_code == 200, r.text


def _drawn(dispute: dict[str, Any], round_: int = 1) -> list[int]:
    """The account ids drawn for ``round_`` and not replaced."""
    return [
        a["account_id"]
        for a in dispute["assignments"]
        if a["round"] == round_ and a["replaced_seq"] is None
    ]


def _account_of(api: TestClient, who: Party) -> int:
    return int(api.get("/me", headers=who.headers).json()["account"]["id"])


def _by_account(api: TestClient, parties: list[Party]) -> dict[int, Party]:
    return {_account_of(api, p): p for p in parties}


def _draws(api: TestClient, dispute_id: int) -> list[dict[str, Any]]:
    return [e for e in entries(api, f"dispute:{dispute_id}") if e["kind"] == "arbitrator.drawn"]


def test_suspending_the_drawn_arbitrators_organisation_draws_another_the_parties_see(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    judges = _by_account(api, [judge, arbitrator(api, ops, 2), arbitrator(api, ops, 3)])
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    dispute = open_dispute(api, buyer, order["id"])
    (first,) = _drawn(dispute)

    _suspend(api, ops, judges[first])

    shown = api.get(f"/disputes/{dispute['id']}", headers=buyer.headers).json()
    (second,) = _drawn(shown)
    assert second != first
    original, redraw = _draws(api, dispute["id"])
    replaced = [a for a in shown["assignments"] if a["account_id"] == first]
    assert [a["replaced_seq"] for a in replaced] == [redraw["seq"]]
    payload = redraw["payload"]
    assert (payload["replaces"], payload["cause"], payload["round"], payload["chosen"]) == (
        first,
        "organization_suspended",
        1,
        [second],
    )
    assert first not in payload["pool"]  # neither suspended nor drawn before
    # Anyone recomputes the new draw from its entry alone, as the first one.
    assert draw(seed(redraw["prev_hash"], dispute["id"], 1), payload["pool"], 1) == [second]
    (suspended,) = entries(api, f"organization:{judges[first].organization_id}")[-1:]
    assert suspended["kind"] == "organization.suspended"
    assert original["seq"] < suspended["seq"] < redraw["seq"]

    at(monkeypatch, after_evidence(dispute))
    r = post_ruling(api, judges[second], dispute["id"], "refund")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ruled"


def test_a_replaced_arbitrator_reinstated_no_longer_sees_the_case(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    judges = _by_account(api, [judge, arbitrator(api, ops, 2)])
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    dispute = open_dispute(api, buyer, order["id"])
    (first,) = _drawn(dispute)
    replaced = judges[first]
    _suspend(api, ops, replaced)
    r = api.post(f"/organizations/{replaced.organization_id}/reinstate", headers=ops.headers)
    assert r.status_code == 200, r.text
    n = 1 if replaced is judge else 2
    login = api.post(
        "/auth/login", json={"email": f"judge{n}@arbiters{n}.test", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    again = bearer(login.json()["access_token"])

    at(monkeypatch, after_evidence(dispute))
    assert api.get(f"/disputes/{dispute['id']}", headers=again).status_code == 404
    body = {"outcome": "release", "reasons": "I was drawn first."}
    r = api.post(f"/disputes/{dispute['id']}/ruling", json=body, headers=again)
    assert (r.status_code, r.json()["error"]) == (404, "dispute_not_found")


def test_with_no_other_arbitrator_the_dispute_waits_for_an_operators_redraw(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party,
) -> None:  # fmt: skip
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    dispute = open_dispute(api, buyer, order["id"])
    (first,) = _drawn(dispute)
    _suspend(api, ops, judge)  # the only arbitrator: the suspension goes through all the same

    shown = api.get(f"/disputes/{dispute['id']}", headers=buyer.headers).json()
    assert _drawn(shown) == [first]
    assert len(_draws(api, dispute["id"])) == 1
    path = f"/disputes/{dispute['id']}/redraw"
    r = api.post(path, headers=ops.headers)
    assert (r.status_code, r.json()["error"]) == (409, "no_arbitrator")
    assert len(_draws(api, dispute["id"])) == 1
    r = api.post(path, headers=buyer.headers)
    assert (r.status_code, r.json()["error"]) == (403, "role_required")

    newcomer = arbitrator(api, ops, 2)
    r = api.post(path, headers=ops.headers)
    assert r.status_code == 200, r.text
    assert _drawn(r.json()) == [_account_of(api, newcomer)]
    assert r.json()["statement"] is None  # an operator's view, as GET /disputes/{id}
    r = api.post(path, headers=ops.headers)
    assert (r.status_code, r.json()["error"]) == (409, "nothing_to_redraw")
    assert len(_draws(api, dispute["id"])) == 2
    r = api.post("/disputes/999999/redraw", headers=ops.headers)
    assert (r.status_code, r.json()["error"]) == (404, "dispute_not_found")


def test_a_panel_member_who_voted_stands_and_one_still_to_vote_is_replaced(
    *,
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party,
    judge: Party, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    judges = _by_account(api, [judge, *(arbitrator(api, ops, n) for n in (2, 3, 4, 5))])
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    dispute = open_dispute(api, buyer, order["id"])
    (first,) = _drawn(dispute)
    at(monkeypatch, after_evidence(dispute))
    assert post_ruling(api, judges[first], dispute["id"], "release").status_code == 200
    _suspend(api, ops, judges[first])  # it ruled: nothing to re-draw
    assert len(_draws(api, dispute["id"])) == 1
    r = api.post(f"/disputes/{dispute['id']}/appeal", headers=keyed(buyer.headers))
    assert r.status_code == 200, r.text
    voter, absent, third = _drawn(r.json(), 2)
    vote(api, judges[voter], dispute["id"], "refund")

    _suspend(api, ops, judges[voter])
    _suspend(api, ops, judges[absent])

    shown = api.get(f"/disputes/{dispute['id']}", headers=buyer.headers).json()
    panel = _drawn(shown, 2)
    assert {voter, third} <= set(panel)
    assert absent not in panel
    (newcomer,) = set(panel) - {voter, third}
    assert newcomer not in (first, absent)
    decided = vote(api, judges[newcomer], dispute["id"], "refund")
    assert (decided["status"], decided["outcome"]) == ("final", "refund")
