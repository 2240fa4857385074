"""Ownership objections escalated to arbitration, over HTTP (docs/disputes.md, "Ownership
objections"): either side escalates, the arbitrator is drawn free of both organisations, the
ruling executes once on the registration (transfer, cancellation, dismissal), the arbitration
fees are forfeited in the proportion each side lost, and the books reconcile."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.books.models import AccountKind
from marketplace.books.service.accounts import account
from marketplace.db import unit_of_work
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party, registered_listed
from tests.marketplace.disputes.helpers import (
    ARBITRATION_FEE,
    after_evidence,
    at,
    escalate,
    execute,
    file_objection,
    post_statement,
)
from tests.marketplace.orders.helpers import entries, keyed
from tests.marketplace.orders.money import balance, fund, reconciled

FUNDS = 50_000


def arbitration_fees(runtime: Runtime) -> int:
    with unit_of_work(runtime.engine) as session:
        return account(session, AccountKind.arbitration_fees, "CNY").balance_minor


def rule(api: TestClient, judge: Party, dispute_id: int, outcome: str, **extra: Any) -> Any:
    body = {"outcome": outcome, "reasons": "The objector's contracts predate the upload.", **extra}
    return api.post(f"/disputes/{dispute_id}/ruling", json=body, headers=judge.headers)


@pytest.fixture
def case(
    api: TestClient, asset_runtime: Runtime, supplier: Party, rival: Party, ops: Party
) -> tuple[int, dict[str, Any]]:
    """A listed asset of the supplier, an open objection of the rival, both funded."""
    asset_id = registered_listed(api, supplier, ops)
    for org in (supplier.organization_id, rival.organization_id):
        fund(asset_runtime.engine, org, FUNDS)
    return asset_id, file_objection(api, rival, asset_id)


def _ruled(
    api: TestClient,
    *,
    runtime: Runtime,
    judge: Party,
    dispute: dict[str, Any],
    outcome: str,
    monkeypatch: pytest.MonkeyPatch,
) -> datetime:
    at(monkeypatch, after_evidence(dispute))
    r = rule(api, judge, dispute["id"], outcome)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["outcome"]) == ("ruled", outcome)
    return datetime.fromisoformat(r.json()["appeal_closes_at"])


def test_a_transfer_ruling_gives_the_asset_to_the_objector(
    *,
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    rival: Party,
    ops: Party,
    judge: Party,
    case: tuple[int, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = asset_runtime.engine
    asset_id, objection = case
    r = escalate(api, rival, asset_id, objection["id"])
    assert r.status_code == 201, r.text
    dispute = r.json()
    assert (dispute["objection_id"], dispute["order_id"]) == (objection["id"], None)
    assert (dispute["opener_side"], dispute["hold_id"], dispute["amount_minor"]) == (
        "buyer", None, 0
    )  # fmt: skip
    assert dispute["buyer_organization_id"] == rival.organization_id
    assert dispute["supplier_organization_id"] == supplier.organization_id
    assert [a["organization_id"] for a in dispute["assignments"]] == [judge.organization_id]
    assert balance(engine, rival.organization_id) == (FUNDS - ARBITRATION_FEE, ARBITRATION_FEE)
    shown = api.get(f"/objections/{objection['id']}", headers=rival.headers).json()
    assert shown["status"] == "escalated"
    # The exchange's records of the objection are attached: the certificate, the filing, the
    # escalation.
    items = api.get(f"/disputes/{dispute['id']}/evidence", headers=judge.headers).json()["items"]
    assert {i["kind"] for i in items if i["source"] == "system"} >= {
        "asset.registered", "asset.objection_filed", "asset.objection_escalated"
    }  # fmt: skip

    # The console and the exported dossier serve the case as an order's, asking its question.
    r = api.get(f"/disputes/{dispute['id']}/record", headers=judge.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["objection_id"], r.json()["order_id"]) == (objection["id"], None)
    r = api.get(f"/disputes/{dispute['id']}/dossier", headers=judge.headers)
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        meta = json.loads(archive.read("dossier.json"))
    assert meta["rulingOptions"]["titles"] == ["transfer", "cancel", "dismiss"]
    assert meta["dispute"]["objection_id"] == objection["id"]

    # The owner answers (and so pays its fee); an operator can no longer decide.
    r = post_statement(api, supplier, dispute["id"], "We bought the stall data in 2023.")
    assert r.status_code == 201, r.text
    assert balance(engine, supplier.organization_id) == (FUNDS - ARBITRATION_FEE, ARBITRATION_FEE)
    r = api.post(
        f"/objections/{objection['id']}/decision",
        json={"decision": "upheld", "reasons": "x"},
        headers=ops.headers,
    )
    assert r.status_code == 409
    assert r.json()["error"] == "objection_state"

    # No split, no release on an objection.
    at(monkeypatch, after_evidence(dispute))
    for bad in ({"outcome": "split", "supplier_bp": 5000}, {"outcome": "release"}):
        r = api.post(
            f"/disputes/{dispute['id']}/ruling",
            json={**bad, "reasons": "x"},
            headers=judge.headers,
        )
        assert r.status_code == 422, r.text
    closes = _ruled(api, runtime=asset_runtime, judge=judge, dispute=dispute, outcome="transfer",
                    monkeypatch=monkeypatch)  # fmt: skip

    assert execute(asset_runtime, closes - timedelta(seconds=1)) == []
    assert execute(asset_runtime, closes) == [dispute["id"]]
    assert execute(asset_runtime, closes + timedelta(days=1)) == []  # once

    shown = api.get(f"/assets/{asset_id}", headers=rival.headers).json()
    assert shown["owner_organization_id"] == rival.organization_id
    assert (shown["status"], shown["under_objection"]) == ("approved", False)
    assert (
        api.get(f"/objections/{objection['id']}", headers=rival.headers).json()["status"]
        == "upheld"
    )
    kinds = [e["kind"] for e in entries(api, f"asset:{asset_id}")]
    assert kinds[-3:] == ["asset.objection_escalated", "asset.objection_decided",
                          "asset.registered"]  # fmt: skip
    dispute_kinds = [e["kind"] for e in entries(api, f"dispute:{dispute['id']}")]
    assert dispute_kinds[-1] == "ruling.executed"
    # The owner lost: its fee forfeited; the objector's returned.
    assert balance(engine, rival.organization_id) == (FUNDS, 0)
    assert balance(engine, supplier.organization_id) == (FUNDS - ARBITRATION_FEE, 0)
    assert arbitration_fees(asset_runtime) == ARBITRATION_FEE
    assert reconciled(engine)
    shown = api.get(f"/disputes/{dispute['id']}", headers=rival.headers).json()
    assert shown["status"] == "executed"


@pytest.mark.parametrize("outcome", ["dismiss", "cancel"])
def test_the_owner_escalates_and_the_ruling_dismisses_or_cancels(
    *,
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    rival: Party,
    judge: Party,
    case: tuple[int, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    outcome: str,
) -> None:
    engine = asset_runtime.engine
    asset_id, objection = case
    r = escalate(api, supplier, asset_id, objection["id"])
    assert r.status_code == 201, r.text
    dispute = r.json()
    assert dispute["opener_side"] == "supplier"
    closes = _ruled(api, runtime=asset_runtime, judge=judge, dispute=dispute, outcome=outcome,
                    monkeypatch=monkeypatch)  # fmt: skip
    assert execute(asset_runtime, closes) == [dispute["id"]]

    shown = api.get(f"/assets/{asset_id}", headers=supplier.headers).json()
    assert shown["owner_organization_id"] == supplier.organization_id
    assert shown["under_objection"] is False
    decided = api.get(f"/objections/{objection['id']}", headers=rival.headers).json()
    if outcome == "dismiss":
        assert (shown["status"], decided["status"]) == ("listed", "dismissed")
        # The owner won: its fee back; the objector paid none (it never submitted).
        assert balance(engine, supplier.organization_id) == (FUNDS, 0)
        assert arbitration_fees(asset_runtime) == 0
    else:
        assert (shown["status"], decided["status"]) == ("cancelled", "upheld")
        assert "asset.cancelled" in [e["kind"] for e in entries(api, f"asset:{asset_id}")]
        assert balance(engine, supplier.organization_id) == (FUNDS - ARBITRATION_FEE, 0)
        assert arbitration_fees(asset_runtime) == ARBITRATION_FEE
    assert balance(engine, rival.organization_id) == (FUNDS, 0)
    assert reconciled(engine)


def test_escalation_refusals(
    *,
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    rival: Party,
    buyer: Party,
    ops: Party,
    judge: Party,
    case: tuple[int, dict[str, Any]],
) -> None:
    asset_id, objection = case
    # A stranger, and an operator, are no party: 404 as for a missing objection.
    for who in (buyer, ops):
        r = escalate(api, who, asset_id, objection["id"])
        assert r.status_code == 404, r.text
        assert r.json()["error"] == "objection_not_found"
    r = escalate(api, rival, asset_id + 1000, objection["id"])
    assert r.status_code == 404
    assert balance(asset_runtime.engine, rival.organization_id) == (FUNDS, 0)

    assert escalate(api, rival, asset_id, objection["id"]).status_code == 201
    for who in (rival, supplier):
        r = escalate(api, who, asset_id, objection["id"])
        assert r.status_code == 409, r.text
        assert r.json()["error"] == "dispute_exists"

    # An objection an operator decided cannot be escalated; nothing is held.
    other = file_objection(api, buyer_as_objector(api, ops, buyer), asset_id)
    r = api.post(
        f"/objections/{other['id']}/decision",
        json={"decision": "dismissed", "reasons": "No contract shown."},
        headers=ops.headers,
    )
    assert r.status_code == 200, r.text
    before = balance(asset_runtime.engine, supplier.organization_id)
    r = escalate(api, supplier, asset_id, other["id"])
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "objection_state"
    assert balance(asset_runtime.engine, supplier.organization_id) == before
    assert reconciled(asset_runtime.engine)


def buyer_as_objector(api: TestClient, ops: Party, buyer: Party) -> Party:
    """The buyer fixture is a verified organisation, so it may object too."""
    return buyer


def test_the_draw_excludes_both_organisations(
    *,
    api: TestClient,
    ops: Party,
    rival: Party,
    case: tuple[int, dict[str, Any]],
) -> None:
    """With the only arbitrators in the objector's organisation, nobody can be drawn: 409 and
    nothing written."""
    asset_id, objection = case
    r = api.post(
        f"/organizations/{rival.organization_id}/roles", json={"role": "arbitrator"},
        headers=ops.headers,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    r = escalate(api, rival, asset_id, objection["id"])
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "no_arbitrator"
    shown = api.get(f"/objections/{objection['id']}", headers=rival.headers).json()
    assert shown["status"] == "open"


def test_an_appeal_panel_of_three_different_votes_cancels(
    *,
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    rival: Party,
    ops: Party,
    judge: Party,
    case: tuple[int, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The owner appeals a transfer; the panel votes transfer, dismiss, cancel: the median,
    cancel, is final and executes; the owner lost, so its fees are forfeited."""
    from tests.marketplace.disputes.conftest import arbitrator
    from tests.marketplace.disputes.helpers import APPEAL_FEE

    engine = asset_runtime.engine
    panel = {p.organization_id: p for p in (arbitrator(api, ops, n) for n in (2, 3, 4))}
    everyone = {**panel, judge.organization_id: judge}
    asset_id, objection = case
    dispute = escalate(api, rival, asset_id, objection["id"]).json()
    first = everyone[dispute["assignments"][0]["organization_id"]]
    _ruled(api, runtime=asset_runtime, judge=first, dispute=dispute, outcome="transfer",
           monkeypatch=monkeypatch)  # fmt: skip
    r = api.post(f"/disputes/{dispute['id']}/appeal", headers=keyed(supplier.headers))
    assert r.status_code == 200, r.text
    members = [everyone[a["organization_id"]] for a in r.json()["assignments"] if a["round"] == 2]
    for who, outcome in zip(members, ("transfer", "dismiss", "cancel"), strict=True):
        r = api.post(
            f"/disputes/{dispute['id']}/votes",
            json={"outcome": outcome, "reasons": "On the panel's reading."},
            headers=who.headers,
        )
        assert r.status_code == 200, r.text
    final = r.json()
    assert (final["status"], final["outcome"], final["supplier_bp"]) == ("final", "cancel", 0)
    assert execute(asset_runtime) == [dispute["id"]]
    assert api.get(f"/assets/{asset_id}", headers=supplier.headers).json()["status"] == (
        "cancelled"
    )
    assert balance(engine, supplier.organization_id) == (FUNDS - APPEAL_FEE, 0)
    assert balance(engine, rival.organization_id) == (FUNDS, 0)
    assert arbitration_fees(asset_runtime) == APPEAL_FEE
    assert reconciled(engine)


@pytest.mark.parametrize(
    ("votes", "decided"),
    [
        (["transfer", "transfer"], "transfer"),
        (["dismiss", "cancel", "dismiss"], "dismiss"),
        (["transfer", "dismiss", "cancel"], "cancel"),
        (["transfer", "dismiss"], None),
    ],
)
def test_the_panel_outcome(votes: list[str], decided: str | None) -> None:
    from marketplace.disputes.service.objections import panel_outcome

    assert panel_outcome(votes) == decided
