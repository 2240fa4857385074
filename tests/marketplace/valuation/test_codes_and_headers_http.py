"""A 404 names what is missing; the HTML reports send the same security headers as the pages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import CSV, Party, create, registered_listed, upload
from tests.marketplace.valuation.helpers import INCOME

SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _valued(api: TestClient, supplier: Party, ops: Party) -> tuple[int, int]:
    asset_id = registered_listed(api, supplier, ops)
    r = api.post(
        f"/assets/{asset_id}/valuations",
        json={"inputs": {"income": INCOME}},
        headers=supplier.headers,
    )
    assert r.status_code == 201, r.text
    return asset_id, int(r.json()["id"])


def test_an_unknown_valuation_is_valuation_not_found(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id, vid = _valued(api, supplier, ops)
    for path in (
        "/valuations/999",
        f"/assets/{asset_id}/valuations/999",
        f"/assets/{asset_id}/valuations/999/report.html",
    ):
        r = api.get(path, headers=supplier.headers)
        assert r.status_code == 404, path
        assert r.json()["error"] == "valuation_not_found", path
        assert "999" in r.json()["message"]
    assert api.get(f"/valuations/{vid}", headers=supplier.headers).status_code == 200


def test_an_unknown_asset_is_still_asset_not_found(api: TestClient, supplier: Party) -> None:
    r = api.get("/assets/999/valuations/1", headers=supplier.headers)
    assert r.status_code == 404
    assert r.json()["error"] == "asset_not_found"


def test_what_a_quality_or_valuation_request_lacks_is_named(
    api: TestClient, supplier: Party
) -> None:
    empty = int(create(api, supplier)["id"])
    r = api.post(
        f"/assets/{empty}/valuations",
        json={"inputs": {"income": INCOME}},
        headers=supplier.headers,
    )
    assert (r.status_code, r.json()["error"]) == (404, "revision_not_found"), r.text
    r = api.get(f"/assets/{empty}/quality", headers=supplier.headers)
    assert (r.status_code, r.json()["error"]) == (404, "revision_not_found"), r.text

    opaque = int(create(api, supplier)["id"])  # opaque content: no evaluation ever starts
    assert upload(api, supplier, opaque, CSV, fmt="opaque").status_code == 201
    r = api.get(f"/assets/{opaque}/revisions/1/quality", headers=supplier.headers)
    assert (r.status_code, r.json()["error"]) == (404, "quality_report_not_found"), r.text


def test_the_html_reports_send_the_pages_security_headers(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id, vid = _valued(api, supplier, ops)
    for path in (
        f"/assets/{asset_id}/valuations/{vid}/report.html",
        f"/assets/{asset_id}/quality/report.html",
    ):
        r = api.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        assert {k: r.headers.get(k) for k in SECURITY} == SECURITY, path
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp, path
        assert "frame-ancestors 'none'" in csp, path
