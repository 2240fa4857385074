"""What the public may see, tried as an attacker on every route that shows an asset, its
revisions or what is derived from their content (quality, valuations, the journal, the pages).

Two targets: a draft asset, and the unreviewed second revision of a listed asset. The attackers:
anonymous, another verified organisation, a valuer. Each must get exactly what it gets for an id
that does not exist, and the public journal must show ids and hashes of them, never figures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import CSV, Party, create, registered_listed, upload
from tests.marketplace.valuation.helpers import valuer

CSV_2 = b"id,name,price\n1,apple,2.5\n2,pear,3\n3,plum,4\n4,fig,9\n"
INCOME: dict[str, Any] = {
    "annual_income_minor": 1_000_000,
    "income_share": "0.2",
    "discount_rate": "0.1",
    "horizon_years": 3,
}
MISSING = 999_999  # an id that exists nowhere


def _valuation(api: TestClient, who: Party, asset_id: int) -> dict[str, Any]:
    r = api.post(
        f"/assets/{asset_id}/valuations", json={"inputs": {"income": INCOME}}, headers=who.headers
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


@dataclass
class World:
    draft: int  # a draft asset with an evaluated revision 1 and a valuation of it
    draft_valuation: int
    listed: int  # a listed asset: revision 1 registered, revision 2 uploaded since
    public_valuation: int  # of revision 1
    unreviewed_valuation: int  # of revision 2


@pytest.fixture
def world(api: TestClient, supplier: Party, ops: Party) -> World:
    draft = int(create(api, supplier, title="Secret draft")["id"])
    assert upload(api, supplier, draft, CSV).status_code == 201  # evaluated on upload
    draft_valuation = _valuation(api, supplier, draft)["id"]
    listed = registered_listed(api, supplier, ops)
    public_valuation = _valuation(api, supplier, listed)["id"]
    assert upload(api, supplier, listed, CSV_2).status_code == 201
    unreviewed = _valuation(api, supplier, listed)
    assert unreviewed["revision"] == 2
    return World(draft, draft_valuation, listed, public_valuation, unreviewed["id"])


def _shape(r: Any) -> tuple[int, str, str]:
    """Status, error code and message with every number masked: what tells two answers apart."""
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    return r.status_code, str(body.get("error")), re.sub(r"\d+", "N", str(body.get("message")))


def _attackers(api: TestClient, rival: Party, ops: Party) -> dict[str, dict[str, str]]:
    return {"anonymous": {}, "rival": rival.headers, "valuer": valuer(api, ops).headers}


DRAFT_ROUTES = [
    "/assets/{a}",
    "/assets/{a}/dcat",
    "/assets/{a}/revisions",
    "/assets/{a}/revisions/1",
    "/assets/{a}/revisions/1/quality",
    "/assets/{a}/quality",
    "/assets/{a}/quality/report.html",
    "/assets/{a}/valuations",
    "/assets/{a}/valuations/{v}",
    "/assets/{a}/valuations/{v}/report.html",
    "/assets/{a}/certificate",
    "/assets/{a}/registrations",
]


def test_a_draft_and_its_reports_answer_as_if_they_did_not_exist(
    api: TestClient, world: World, rival: Party, ops: Party
) -> None:
    for who, headers in _attackers(api, rival, ops).items():
        for route in DRAFT_ROUTES:
            mine = api.get(route.format(a=world.draft, v=world.draft_valuation), headers=headers)
            none = api.get(route.format(a=MISSING, v=MISSING), headers=headers)
            assert mine.status_code == 404, (who, route, mine.text)
            assert _shape(mine) == _shape(none), (who, route)
        r = api.get(f"/valuations/{world.draft_valuation}", headers=headers)
        assert _shape(r) == _shape(api.get(f"/valuations/{MISSING}", headers=headers)), who
        assert r.status_code == 404
        page = api.get(f"/catalog/{world.draft}", headers=headers)
        assert page.status_code == 404
        assert "Secret draft" not in page.text


def test_the_unreviewed_revision_of_a_listed_asset_and_its_reports_are_not_public(
    api: TestClient, world: World, rival: Party, ops: Party
) -> None:
    a, hidden, public = world.listed, world.unreviewed_valuation, world.public_valuation
    pairs = [  # (route on the unreviewed revision, the same route on what does not exist)
        (f"/assets/{a}/revisions/2", f"/assets/{a}/revisions/99"),
        (f"/assets/{a}/revisions/2/quality", f"/assets/{a}/revisions/99/quality"),
        (f"/assets/{a}/valuations/{hidden}", f"/assets/{a}/valuations/{MISSING}"),
        (
            f"/assets/{a}/valuations/{hidden}/report.html",
            f"/assets/{a}/valuations/{MISSING}/report.html",
        ),
        (f"/valuations/{hidden}", f"/valuations/{MISSING}"),
    ]
    for who, headers in _attackers(api, rival, ops).items():
        for route, missing in pairs:
            r = api.get(route, headers=headers)
            assert r.status_code == 404, (who, route, r.text)
            assert _shape(r) == _shape(api.get(missing, headers=headers)), (who, route)
        assert api.get(f"/assets/{a}", headers=headers).json()["latest_revision"] == 1, who
        found = api.get("/assets", params={"q": "fruit"}, headers=headers).json()["items"]
        assert [x["latest_revision"] for x in found if x["id"] == a] == [1], who
        revisions = api.get(f"/assets/{a}/revisions", headers=headers).json()
        assert [r["number"] for r in revisions] == [1], who
        dcat = api.get(f"/assets/{a}/dcat", headers=headers).json()
        assert [d["dct:identifier"] for d in dcat["dcat:distribution"]] == ["1"], who
        quality = api.get(f"/assets/{a}/quality", headers=headers).json()
        assert quality["revision"] == 1, who
        valuations = api.get(f"/assets/{a}/valuations", headers=headers).json()
        assert [v["id"] for v in valuations] == [public], who
        assert api.get(f"/valuations/{public}", headers=headers).status_code == 200
    page = api.get(f"/catalog/{a}").text
    assert f"/valuations/{public}/report.html" in page
    assert f"/valuations/{hidden}/report.html" not in page
    # Another organisation cannot even tell the unreviewed revision's content exists.
    got = api.get(f"/assets/{a}/revisions/2/content", headers=rival.headers)
    missing = api.get(f"/assets/{a}/revisions/99/content", headers=rival.headers)
    assert got.status_code == 404
    assert _shape(got) == _shape(missing)


def test_the_owner_and_operators_see_the_unreviewed_revision_and_its_reports(
    api: TestClient, world: World, supplier: Party, ops: Party
) -> None:
    a = world.listed
    for headers in (supplier.headers, ops.headers):
        assert api.get(f"/assets/{a}", headers=headers).json()["latest_revision"] == 2
        assert api.get(f"/assets/{a}/revisions/2/quality", headers=headers).json()["revision"] == 2
        assert api.get(f"/assets/{a}/quality", headers=headers).json()["revision"] == 2
        ids = [v["id"] for v in api.get(f"/assets/{a}/valuations", headers=headers).json()]
        assert sorted(ids) == sorted([world.public_valuation, world.unreviewed_valuation])
        r = api.get(f"/valuations/{world.unreviewed_valuation}", headers=headers)
        assert r.status_code == 200
        assert api.get(f"/assets/{world.draft}/revisions/1/quality", headers=headers).is_success


def test_a_valuer_from_outside_values_the_registered_revision_only(
    api: TestClient, world: World, ops: Party
) -> None:
    outside = valuer(api, ops)
    got = _valuation(api, outside, world.listed)
    assert got["revision"] == 1
    assert got["report"]["subject"] == f"asset:{world.listed}@revision:1"
    r = api.post(
        f"/assets/{world.draft}/valuations",
        json={"inputs": {"income": INCOME}},
        headers=outside.headers,
    )
    assert r.status_code == 404


def test_the_public_journal_holds_ids_and_hashes_of_drafts_not_figures(
    api: TestClient, world: World
) -> None:
    entries = api.get("/ledger/entries", params={"limit": 500}).json()["items"]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_kind.setdefault(e["kind"], []).append(e["payload"])
    assert by_kind["quality.assessed"]
    for payload in by_kind["quality.assessed"]:
        assert set(payload) == {
            "asset_id", "revision", "evaluation_id", "content_hash", "report_hash",
        }  # fmt: skip
    assert len(by_kind["valuation.issued"]) == 3
    for payload in by_kind["valuation.issued"]:
        assert set(payload) == {"asset_id", "revision", "kind", "report_hash"}
    for payload in by_kind["asset.revision_added"]:
        assert "size_bytes" not in payload
    explorer = api.get("/explorer", params={"kind": "valuation.issued"}).text
    assert "value_minor" not in explorer
