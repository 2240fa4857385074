"""Objections (异议): only verified organisations file them, filing never delists, an operator
suspends as a step of its own, the objector follows its objection, and dismissal restores the
asset exactly as it was."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace import limits
from tests.marketplace.assets.helpers import Party, party, registered_listed, verify
from tests.marketplace.ratelimit.helpers import lower_limits

EVIDENCE = ["ab" * 32, "cd" * 32]


def objection(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reason_code": "ownership",
        "statement": "We collected these prices at our own stalls; contract ref 2024-17.",
        "evidence_hashes": EVIDENCE,
    }
    body.update(overrides)
    return body


def file(api: TestClient, who: Party, asset_id: int, **overrides: Any) -> Any:
    return api.post(
        f"/assets/{asset_id}/objections", json=objection(**overrides), headers=who.headers
    )


def kinds(api: TestClient, asset_id: int) -> list[str]:
    entries = api.get("/ledger/entries", params={"subject": f"asset:{asset_id}"}).json()
    return [e["kind"] for e in entries["items"]]


def test_the_objection_case_replayed(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    newcomer = party(api, "eve@new.test", "Brand New", [])

    r = file(api, newcomer, asset_id, statement="x")
    assert r.status_code == 403
    assert r.json()["error"] == "not_verified"
    r = file(api, newcomer, asset_id)
    assert r.status_code == 403
    assert r.json()["error"] == "not_verified"
    shown = api.get(f"/assets/{asset_id}").json()
    assert (shown["status"], shown["under_objection"]) == ("listed", False)

    r = file(api, rival, asset_id)
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["status"] == "open"
    assert filed["evidence_hashes"] == EVIDENCE
    # Filing never delists: the asset stays listed, flagged, for everyone and in search.
    shown = api.get(f"/assets/{asset_id}").json()
    assert (shown["status"], shown["under_objection"]) == ("listed", True)
    (hit,) = api.get("/assets").json()["items"]
    assert (hit["id"], hit["under_objection"]) == (asset_id, True)
    public_page = api.get(f"/catalog/{asset_id}").text
    assert "under objection" in public_page
    assert "weigh this before you buy" in public_page
    assert filed["statement"] not in public_page
    assert api.get(f"/objections/{filed['id']}", headers=rival.headers).json() == filed
    # The operator suspends, as a separate journaled step with a reason.
    r = api.post(
        f"/assets/{asset_id}/suspend",
        json={"reason": "rights contested; evidence under review", "objection_id": filed["id"]},
        headers=ops.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "suspended"
    assert api.get(f"/assets/{asset_id}").status_code == 404
    assert api.get("/assets").json()["total"] == 0
    # The objector still follows its objection.
    assert api.get(f"/objections/{filed['id']}", headers=rival.headers).json()["status"] == "open"
    (own,) = api.get(f"/assets/{asset_id}/objections", headers=rival.headers).json()
    assert own["id"] == filed["id"]
    page = api.get("/objections", headers=rival.headers).json()
    assert [o["id"] for o in page["items"]] == [filed["id"]]

    r = api.post(
        f"/objections/{filed['id']}/decision",
        json={"decision": "dismissed", "reasons": "the supplier's contract predates the claim"},
        headers=ops.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dismissed"
    got = api.get(f"/objections/{filed['id']}", headers=rival.headers).json()
    assert (got["status"], got["resolution"]) == (
        "dismissed",
        "the supplier's contract predates the claim",
    )
    # Dismissal restores the exact prior state: listed, without the supplier listing again.
    shown = api.get(f"/assets/{asset_id}").json()
    assert (shown["status"], shown["under_objection"]) == ("listed", False)
    assert "under objection" not in api.get(f"/catalog/{asset_id}").text
    assert kinds(api, asset_id)[-5:] == [
        "asset.listed",
        "asset.objection_filed",
        "asset.suspended",
        "asset.objection_decided",
        "asset.reinstated",
    ]


def test_an_upheld_objection_suspends_until_an_operator_reinstates(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    filed = file(api, rival, asset_id).json()
    r = api.post(
        f"/objections/{filed['id']}/decision",
        json={"decision": "upheld", "reasons": "the objector's contract is earlier"},
        headers=ops.headers,
    )
    assert r.status_code == 200, r.text
    mine = api.get(f"/assets/{asset_id}", headers=supplier.headers).json()
    assert mine["status"] == "suspended"
    assert mine["suspension_reason"].startswith(f"objection {filed['id']} upheld")
    assert api.get(f"/assets/{asset_id}").status_code == 404
    r = api.post(f"/assets/{asset_id}/list", headers=supplier.headers)
    assert r.status_code == 409
    r = api.post(
        f"/objections/{filed['id']}/decision",
        json={"decision": "dismissed", "reasons": "second thoughts"},
        headers=ops.headers,
    )
    assert r.status_code == 409
    assert r.json()["error"] == "objection_state"
    r = api.post(
        f"/assets/{asset_id}/reinstate",
        json={"reason": "licence from the objector produced"},
        headers=ops.headers,
    )
    assert r.status_code == 200, r.text
    assert api.get(f"/assets/{asset_id}").json()["status"] == "listed"


def test_suspension_and_decisions_are_for_operators(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    filed = file(api, rival, asset_id).json()
    for who in (supplier, rival):
        r = api.post(f"/assets/{asset_id}/suspend", json={"reason": "r"}, headers=who.headers)
        assert r.status_code == 403
        r = api.post(
            f"/objections/{filed['id']}/decision",
            json={"decision": "dismissed", "reasons": "r"},
            headers=who.headers,
        )
        assert r.status_code == 403
    r = api.post(f"/assets/{asset_id}/suspend", json={"reason": "  "}, headers=ops.headers)
    assert r.status_code == 422
    r = api.post(f"/assets/{asset_id}/reinstate", json={"reason": "r"}, headers=ops.headers)
    assert r.status_code == 409
    assert api.get(f"/assets/{asset_id}").json()["status"] == "listed"


def test_objections_are_refused_to_the_owner_operators_and_repeaters(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    assert file(api, supplier, asset_id).json()["error"] == "objection_not_allowed"
    assert file(api, ops, asset_id).json()["error"] == "objection_not_allowed"
    assert file(api, rival, asset_id).status_code == 201
    r = file(api, rival, asset_id)
    assert (r.status_code, r.json()["error"]) == (409, "objection_state")
    r = api.post(
        f"/assets/{asset_id}/transfer",
        json={"to_organization_id": rival.organization_id},
        headers=supplier.headers,
    )
    assert (r.status_code, r.json()["error"]) == (409, "asset_state")


@pytest.mark.parametrize(
    "overrides",
    [
        {"statement": "x"},
        {"statement": " " * 40},
        {"evidence_hashes": []},
        {"evidence_hashes": ["not-a-hash"]},
        {"evidence_hashes": ["ab" * 32] * (limits.objection_evidence_hashes_max + 1)},
        {"reason_code": "because"},
        {"claim": "x"},
    ],
)
def test_an_objection_needs_a_reason_code_a_statement_and_evidence(
    api: TestClient, supplier: Party, rival: Party, ops: Party, overrides: dict[str, Any]
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    r = file(api, rival, asset_id, **overrides)
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_request"
    assert api.get(f"/assets/{asset_id}/objections", headers=supplier.headers).json() == []


def test_objections_are_rate_limited_per_organisation(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    lower_limits(api.app, objection_filings_per_window_max=1)
    first, second = registered_listed(api, supplier, ops), registered_listed(api, supplier, ops)
    colleague_org = party(api, "carol@third.test", "Carol Data", ["buyer"])
    verify(api, ops, colleague_org)
    assert file(api, rival, first).status_code == 201
    r = file(api, rival, second)
    assert (r.status_code, r.json()["error"]) == (429, "objections_throttled")
    assert r.json()["message"].startswith("too many objections filed by your organisation")
    # A slot frees when the first filing leaves the 24 h window: just under a day from now.
    assert 24 * 3600 - 120 < int(r.headers["retry-after"]) <= 24 * 3600
    assert file(api, colleague_org, second).status_code == 201
    assert api.get(f"/assets/{second}").json()["under_objection"] is True


def test_others_see_neither_the_objection_nor_its_statement(
    api: TestClient, supplier: Party, rival: Party, ops: Party
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    filed = file(api, rival, asset_id).json()
    stranger = party(api, "dan@else.test", "Dan Data", ["buyer"])
    verify(api, ops, stranger)
    assert api.get(f"/objections/{filed['id']}", headers=stranger.headers).status_code == 404
    assert api.get(f"/assets/{asset_id}/objections", headers=stranger.headers).json() == []
    assert api.get("/objections", headers=stranger.headers).json()["total"] == 0
    assert api.get(f"/objections/{filed['id']}").status_code == 401
    judge = party(api, "judy@arbitration.test", "Judy Arbitration", [])
    r = api.post(
        f"/organizations/{judge.organization_id}/roles",
        json={"role": "arbitrator"},
        headers=ops.headers,
    )
    assert r.status_code == 200, r.text
    assert api.get(f"/objections/{filed['id']}", headers=judge.headers).status_code == 404
    verify(api, ops, judge)
    assert api.get(f"/objections/{filed['id']}", headers=judge.headers).json() == filed
    owner_view = api.get(f"/objections/{filed['id']}", headers=supplier.headers).json()
    assert owner_view["statement"] == filed["statement"]
    assert filed["statement"] not in api.get(f"/assets/{asset_id}").text
