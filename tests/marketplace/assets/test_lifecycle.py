"""The asset lifecycle table, tried pair by pair: every (state, event) the table allows moves
the asset to the declared state and names the declared journal kind; every other pair is a 409
naming the state the asset is in, and changes nothing. Over HTTP, a refused step answers
``{"error", "message"}`` and leaves the asset and the journal as they were."""

from __future__ import annotations

import itertools

import pytest
from fastapi.testclient import TestClient

from marketplace.assets import lifecycle
from marketplace.assets.errors import AssetStateConflict
from marketplace.assets.lifecycle import PRIOR, REMOVED, AssetEvent
from marketplace.assets.models import Asset, AssetStatus
from tests.marketplace.assets.helpers import CSV, Party, create, upload

PAIRS = list(itertools.product(AssetStatus, AssetEvent))
ALLOWED = [p for p in PAIRS if p in lifecycle.TRANSITIONS]
REFUSED = [p for p in PAIRS if p not in lifecycle.TRANSITIONS]


def _asset(state: AssetStatus) -> Asset:
    asset = Asset(status=state)
    if state == AssetStatus.suspended:
        asset.status_before_suspension = AssetStatus.listed
    return asset


@pytest.mark.parametrize(("state", "event"), ALLOWED, ids=[f"{s}-{e}" for s, e in ALLOWED])
def test_an_allowed_pair_moves_to_the_declared_state_with_its_journal_kind(
    state: AssetStatus, event: AssetEvent
) -> None:
    declared = lifecycle.TRANSITIONS[(state, event)]
    asset = _asset(state)
    transition = lifecycle.apply(asset, event)
    assert transition == declared
    assert transition.kind.startswith("asset.")
    if declared.target == PRIOR:
        assert asset.status == AssetStatus.listed
        assert asset.status_before_suspension is None
    elif declared.target == REMOVED:
        assert asset.status == state  # the caller deletes the row
    else:
        assert asset.status == declared.target
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


def test_listing_a_draft_over_http_is_a_409_naming_draft_and_changes_nothing(
    api: TestClient, supplier: Party
) -> None:
    asset_id = create(api, supplier)["id"]
    assert upload(api, supplier, asset_id, CSV).status_code == 201
    before = api.get(f"/assets/{asset_id}", headers=supplier.headers).json()
    entries = api.get(
        "/ledger/entries", params={"subject": f"asset:{asset_id}"}, headers=supplier.headers
    ).json()["items"]
    r = api.post(f"/assets/{asset_id}/list", headers=supplier.headers)
    assert r.status_code == 409
    assert set(r.json()) == {"error", "message"}
    assert r.json()["error"] == "asset_state"
    assert r.json()["message"] == (
        "cannot list an asset that is draft; it must be approved or delisted"
    )
    assert api.get(f"/assets/{asset_id}", headers=supplier.headers).json() == before
    after = api.get(
        "/ledger/entries", params={"subject": f"asset:{asset_id}"}, headers=supplier.headers
    ).json()["items"]
    assert after == entries
