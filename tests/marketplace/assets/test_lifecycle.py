"""The asset lifecycle table, tried pair by pair against a table written out here by hand (from the
rules each event obeys): every allowed (state, event) moves the
asset to the expected state and names the declared journal kind; every other pair is a 409
naming the state the asset is in, and changes nothing. Over HTTP, each event refused in a state
answers ``{"error", "message"}`` with the exact message, and leaves the asset and the journal as
they were."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.assets import lifecycle
from marketplace.assets.errors import AssetStateConflict
from marketplace.assets.lifecycle import SAME, AssetEvent
from marketplace.assets.models import Asset, AssetStatus
from tests.marketplace.assets.helpers import CSV, Party, create, review, upload

_EDITABLE = ("draft", "rejected", "approved", "listed", "delisted")
_REGISTERED = ("approved", "listed", "delisted")

#: event → {from: to}; "prior" is the state recorded at suspension, "removed" a deleted row.
EXPECTED: dict[str, dict[str, str]] = {
    "change_metadata": {
        "draft": "draft",
        "rejected": "rejected",
        "approved": "draft",
        "listed": "draft",
        "delisted": "draft",
    },
    "add_revision": {s: s for s in _EDITABLE},
    "correct_schema": {s: s for s in _EDITABLE},
    "submit": dict.fromkeys(_EDITABLE, "under_review"),
    "approve": {"under_review": "approved"},
    "reject": {"under_review": "rejected"},
    "list": {"approved": "listed", "delisted": "listed"},
    "delist": {"listed": "delisted"},
    "transfer": dict.fromkeys(_REGISTERED, "approved"),
    "cancel": {
        "draft": "cancelled",
        "under_review": "cancelled",
        "approved": "cancelled",
        "rejected": "cancelled",
        "listed": "cancelled",
        "delisted": "cancelled",
        "suspended": "cancelled",
    },
    "object": {s: s for s in (*_REGISTERED, "under_review", "suspended")},
    "suspend": dict.fromkeys((*_REGISTERED, "under_review"), "suspended"),
    "reinstate": {"suspended": "prior"},
    "delete": {"draft": "removed"},
}

PAIRS = list(itertools.product(AssetStatus, AssetEvent))
ALLOWED = [(s, e) for s, e in PAIRS if s.value in EXPECTED[e.value]]
REFUSED = [(s, e) for s, e in PAIRS if s.value not in EXPECTED[e.value]]


def test_the_table_is_the_one_written_out_here() -> None:
    table: dict[str, dict[str, str]] = {e.value: {} for e in AssetEvent}
    for (state, event), t in lifecycle.TRANSITIONS.items():
        table[event.value][state.value] = state.value if t.target == SAME else str(t.target)
    assert table == EXPECTED


def _asset(state: AssetStatus) -> Asset:
    asset = Asset(status=state)
    if state == AssetStatus.suspended:
        asset.status_before_suspension = AssetStatus.listed
    return asset


@pytest.mark.parametrize(("state", "event"), ALLOWED, ids=[f"{s}-{e}" for s, e in ALLOWED])
def test_an_allowed_pair_moves_to_the_expected_state_with_its_journal_kind(
    state: AssetStatus, event: AssetEvent
) -> None:
    asset = _asset(state)
    transition = lifecycle.apply(asset, event)
    assert transition == lifecycle.TRANSITIONS[(state, event)]
    assert transition.kind.startswith("asset.")
    expected = EXPECTED[event.value][state.value]
    if expected == "prior":
        assert asset.status == AssetStatus.listed
        assert asset.status_before_suspension is None
    elif expected == "removed":
        assert asset.status == state  # the caller deletes the row
    else:
        assert asset.status == expected
    if event == AssetEvent.suspend:
        assert asset.status_before_suspension == state


@pytest.mark.parametrize(("state", "event"), REFUSED, ids=[f"{s}-{e}" for s, e in REFUSED])
def test_a_refused_pair_is_a_409_naming_the_state_and_changes_nothing(
    state: AssetStatus, event: AssetEvent
) -> None:
    asset = _asset(state)
    before = (asset.status, asset.status_before_suspension)
    assert not lifecycle.allowed(state, event)
    with pytest.raises(AssetStateConflict) as raised:
        lifecycle.apply(asset, event)
    assert raised.value.status == 409
    assert raised.value.code == "asset_state"
    if event is AssetEvent.cancel:
        assert str(raised.value) == f"the asset is already {state.value}"
    else:
        assert f"an asset that is {state.value};" in str(raised.value)
    assert (asset.status, asset.status_before_suspension) == before


def test_the_table_keeps_the_journal_kinds_verifiers_read() -> None:
    kinds = {t.event: t.kind for t in lifecycle.TRANSITIONS.values()}
    assert kinds == {
        AssetEvent.change_metadata: "asset.metadata_changed",
        AssetEvent.add_revision: "asset.revision_added",
        AssetEvent.correct_schema: "asset.schema_corrected",
        AssetEvent.submit: "asset.submitted",
        AssetEvent.approve: "asset.reviewed",
        AssetEvent.reject: "asset.reviewed",
        AssetEvent.list: "asset.listed",
        AssetEvent.delist: "asset.delisted",
        AssetEvent.transfer: "asset.registered",
        AssetEvent.cancel: "asset.cancelled",
        AssetEvent.object: "asset.objection_filed",
        AssetEvent.suspend: "asset.suspended",
        AssetEvent.reinstate: "asset.reinstated",
        AssetEvent.delete: "asset.deleted",
    }


def test_a_suspended_asset_returns_only_to_a_state_it_may_be_suspended_from() -> None:
    assert set(lifecycle.sources(AssetEvent.suspend)) == lifecycle.REINSTATABLE
    asset = Asset(status=AssetStatus.suspended, status_before_suspension=AssetStatus.draft)
    with pytest.raises(AssertionError):
        lifecycle.apply(asset, AssetEvent.reinstate)


def test_objecting_in_a_refused_state_names_the_states_it_needs_in_order() -> None:
    # Over HTTP an objector sees only listed assets, where objecting is allowed.
    with pytest.raises(AssetStateConflict) as raised:
        lifecycle.apply(Asset(status=AssetStatus.draft), AssetEvent.object)
    assert str(raised.value) == (
        "cannot object to an asset that is draft; it must be approved or listed or delisted or "
        "under_review or suspended"
    )


_EDITABLE_NEED = "it must be draft or rejected or approved or listed or delisted"
_SCHEMA = {"fields": [{"name": "id", "type": "string"}]}


@dataclass(frozen=True)
class Refusal:
    event: str
    state: str  # the state the event is tried in
    who: str
    method: str  # UPLOAD and REVIEW go through the helpers
    path: str  # under /assets/{id}; for REVIEW, the decision
    body: Any
    message: str  # the exact message


HTTP_REFUSALS: list[Refusal] = [
    Refusal(
        "change_metadata",
        "under_review",
        "supplier",
        "PATCH",
        "",
        {"title": "New title"},
        f"cannot change the metadata of an asset that is under_review; {_EDITABLE_NEED}",
    ),
    Refusal(
        "add_revision",
        "under_review",
        "supplier",
        "UPLOAD",
        "",
        None,
        f"cannot add a revision to an asset that is under_review; {_EDITABLE_NEED}",
    ),
    Refusal(
        "correct_schema",
        "under_review",
        "supplier",
        "PUT",
        "/revisions/1/schema",
        {"table_schema": _SCHEMA},
        f"cannot correct the schema of an asset that is under_review; {_EDITABLE_NEED}",
    ),
    Refusal(
        "submit",
        "under_review",
        "supplier",
        "POST",
        "/submit",
        {},
        f"cannot submit an asset that is under_review; {_EDITABLE_NEED}",
    ),
    Refusal(
        "approve",
        "draft",
        "ops",
        "REVIEW",
        "approved",
        None,
        "cannot review an asset that is draft; it must be under_review",
    ),
    Refusal(
        "reject",
        "draft",
        "ops",
        "REVIEW",
        "rejected",
        None,
        "cannot review an asset that is draft; it must be under_review",
    ),
    Refusal(
        "list",
        "draft",
        "supplier",
        "POST",
        "/list",
        None,
        "cannot list an asset that is draft; it must be approved or delisted",
    ),
    Refusal(
        "delist",
        "under_review",
        "supplier",
        "POST",
        "/delist",
        None,
        "cannot delist an asset that is under_review; it must be listed",
    ),
    Refusal(
        "transfer",
        "under_review",
        "supplier",
        "POST",
        "/transfer",
        {"to_organization_id": "rival"},
        "cannot transfer an asset that is under_review; it must be approved or listed or delisted",
    ),
    Refusal(
        "cancel",
        "cancelled",
        "supplier",
        "POST",
        "/cancel",
        {"reason": "retired"},
        "the asset is already cancelled",
    ),
    Refusal(
        "suspend",
        "draft",
        "ops",
        "POST",
        "/suspend",
        {"reason": "a complaint"},
        "cannot suspend an asset that is draft; it must be approved or listed or delisted or "
        "under_review",
    ),
    Refusal(
        "reinstate",
        "cancelled",
        "ops",
        "POST",
        "/reinstate",
        {"reason": "cleared"},
        "cannot reinstate an asset that is cancelled; it must be suspended",
    ),
    Refusal(
        "delete",
        "under_review",
        "supplier",
        "DELETE",
        "",
        None,
        "cannot delete an asset that is under_review; only a draft that was never submitted can "
        "be deleted (a registered asset is cancelled instead)",
    ),
]


def _in_state(api: TestClient, supplier: Party, state: str) -> int:
    asset_id = int(create(api, supplier)["id"])
    assert upload(api, supplier, asset_id, CSV).status_code == 201
    if state == "under_review":
        r = api.post(f"/assets/{asset_id}/submit", json={}, headers=supplier.headers)
        assert r.status_code == 200, r.text
    elif state == "cancelled":
        r = api.post(
            f"/assets/{asset_id}/cancel", json={"reason": "gone"}, headers=supplier.headers
        )
        assert r.status_code == 200, r.text
    return asset_id


def _seen(api: TestClient, supplier: Party, asset_id: int) -> tuple[Any, Any]:
    asset = api.get(f"/assets/{asset_id}", headers=supplier.headers).json()
    entries = api.get(
        "/ledger/entries", params={"subject": f"asset:{asset_id}"}, headers=supplier.headers
    ).json()["items"]
    return asset, entries


@pytest.mark.parametrize(
    "case", HTTP_REFUSALS, ids=[f"{c.event}-from-{c.state}" for c in HTTP_REFUSALS]
)
def test_an_event_refused_over_http_is_a_409_with_the_exact_message_and_changes_nothing(
    api: TestClient, supplier: Party, rival: Party, ops: Party, case: Refusal
) -> None:
    assert case.state not in EXPECTED[case.event]
    caller = {"supplier": supplier, "ops": ops}[case.who]
    asset_id = _in_state(api, supplier, case.state)
    before = _seen(api, supplier, asset_id)
    body = case.body
    if isinstance(body, dict) and body.get("to_organization_id") == "rival":
        body = {"to_organization_id": rival.organization_id}
    if case.method == "UPLOAD":
        r = upload(api, caller, asset_id, CSV)
    elif case.method == "REVIEW":
        r = review(api, caller, asset_id, case.path, reasons="no proof of authority")
    else:
        r = api.request(
            case.method, f"/assets/{asset_id}{case.path}", json=body, headers=caller.headers
        )
    assert r.status_code == 409, r.text
    assert set(r.json()) == {"error", "message"}
    assert r.json()["error"] == "asset_state"
    assert r.json()["message"] == case.message
    assert case.state in r.json()["message"]
    assert _seen(api, supplier, asset_id) == before
