"""Helpers for the asset HTTP tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import bearer, operator_token, signup

CSV = b"id,name,price\n1,apple,2.5\n2,pear,3\n"
CHECKLIST_OK = {
    "authority": {"passed": True, "note": "contract seen"},
    "personal_information": {"passed": True},
    "classification": {"passed": True},
    "metadata_complete": {"passed": True},
}


@dataclass
class Party:
    token: str
    organization_id: int
    address: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


def party(api: TestClient, email: str, org: str, roles: list[str]) -> Party:
    body = signup(api, email, org, roles)
    me = api.get("/me", headers=bearer(body["access_token"])).json()
    return Party(body["access_token"], me["organization"]["id"], me["account"]["address"])


def operator(api: TestClient, runtime: Runtime) -> Party:
    token = operator_token(api, runtime)
    me = api.get("/me", headers=bearer(token)).json()
    return Party(token, me["organization"]["id"], me["account"]["address"])


def verify(api: TestClient, ops: Party, who: Party) -> None:
    r = api.post(f"/organizations/{who.organization_id}/verify", headers=ops.headers)
    assert r.status_code == 200, r.text


def metadata(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Fruit prices",
        "description": "Daily wholesale fruit prices",
        "keywords": ["fruit", "prices", "水果"],
        "theme": "agriculture",
        "license": "CC-BY-4.0",
        "temporal_start": "2024-01-01",
        "temporal_end": "2024-12-31",
        "spatial": "Shanghai",
        "accrual_periodicity": "daily",
        "languages": ["zh", "en"],
        "classification": "general",
        "personal_information": False,
        "source_type": "collected",
        "authority_proof": "collected at our own market stalls; ledger ref 2024-17",
    }
    base.update(overrides)
    return base


def create(api: TestClient, who: Party, **overrides: Any) -> dict[str, Any]:
    r = api.post("/assets", json=metadata(**overrides), headers=who.headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def upload(
    api: TestClient,
    who: Party,
    asset_id: int,
    content: Any,
    *,
    fmt: str = "csv",
    headers: dict[str, str] | None = None,
) -> Any:
    return api.put(
        f"/upload/assets/{asset_id}/revisions",
        params={"format": fmt},
        content=content,
        headers={**who.headers, **(headers or {})},
    )


def review(api: TestClient, ops: Party, asset_id: int, decision: str, reasons: str = "") -> Any:
    checklist = dict(CHECKLIST_OK)
    if decision == "rejected":
        checklist = {**checklist, "authority": {"passed": False, "note": "no proof"}}
    return api.post(
        f"/assets/{asset_id}/reviews",
        json={"decision": decision, "checklist": checklist, "reasons": reasons},
        headers=ops.headers,
    )


def registered_listed(api: TestClient, who: Party, ops: Party, **overrides: Any) -> int:
    asset_id = int(create(api, who, **overrides)["id"])
    r = upload(api, who, asset_id, CSV)
    assert r.status_code == 201, r.text
    r = api.post(f"/assets/{asset_id}/submit", json={}, headers=who.headers)
    assert r.status_code == 200, r.text
    r = review(api, ops, asset_id, "approved")
    assert r.status_code == 201, r.text
    r = api.post(f"/assets/{asset_id}/list", headers=who.headers)
    assert r.status_code == 200, r.text
    return asset_id


def blob_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
