"""Identity's business facts go to the journal, with ids and addresses but no emails."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from ledger.models import JournalEntry
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import bearer, operator_token, signup


def _entries(runtime: Runtime) -> list[JournalEntry]:
    with Session(runtime.engine) as s:
        return list(s.exec(select(JournalEntry).order_by(JournalEntry.seq)).all())  # type: ignore[arg-type]


def test_signup_verify_and_grant_are_journaled_without_personal_data(
    api: TestClient, id_runtime: Runtime
) -> None:
    ops = operator_token(api, id_runtime)
    issued = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])
    org_id = api.get("/me", headers=bearer(issued["access_token"])).json()["organization"]["id"]
    api.post(f"/organizations/{org_id}/verify", headers=bearer(ops))
    api.post(f"/organizations/{org_id}/roles", headers=bearer(ops), json={"role": "valuer"})
    kinds = [e.kind for e in _entries(id_runtime)]
    assert kinds == [
        "organization.created",
        "account.created",
        "organization.verified",  # the operator's bootstrap
        "organization.created",
        "account.created",
        "organization.verified",
        "organization.role_granted",
    ]
    ada = [e for e in _entries(id_runtime) if e.subject == f"organization:{org_id}"]
    assert ada[0].actor == issued["account"]["address"]
    for entry in _entries(id_runtime):
        assert "@" not in entry.payload_json
        assert "Ada Data" not in entry.payload_json
    created = next(e for e in _entries(id_runtime)[3:] if e.kind == "account.created")
    assert json.loads(created.payload_json)["address"] == issued["account"]["address"]


def test_a_refused_signup_journals_nothing(api: TestClient, id_runtime: Runtime) -> None:
    signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])
    count = len(_entries(id_runtime))
    r = api.post(
        "/auth/signup",
        json={
            "email": "ada@example.org",
            "password": "correct horse battery staple",
            "organization": {"name": "Other", "roles": ["buyer"]},
        },
    )
    assert r.status_code == 409
    assert len(_entries(id_runtime)) == count
