"""Operators suspend an organisation: its sessions end, its accounts cannot log in or act
(403 organization_suspended) until it is reinstated; the refusals and the journal."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from ledger.models import JournalEntry, utc_now
from marketplace import limits
from marketplace.app import create_app
from marketplace.db import unit_of_work
from marketplace.identity import service
from marketplace.identity.service.bearer_tokens import issue_token
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import (
    PASSWORD,
    bearer,
    new_wallet,
    operator_token,
    row_counts,
    serving,
    signup,
    siwe_body,
)

EMAIL = "fraud@example.org"
REASON = "payments from stolen cards reported by two banks"
SUSPENDED = {
    "error": "organization_suspended",
    "message": "your organisation is suspended by the exchange's operators: it may not act until "
    "they reinstate it",
}


def _org_of(api: TestClient, token: str) -> int:
    return int(api.get("/me", headers=bearer(token)).json()["organization"]["id"])


def _suspend(
    api: TestClient | httpx.Client, ops: str, org_id: int, reason: str = REASON
) -> httpx.Response:
    return api.post(
        f"/organizations/{org_id}/suspend", json={"reason": reason}, headers=bearer(ops)
    )


def _login(api: TestClient, password: str = PASSWORD, email: str = EMAIL) -> httpx.Response:
    return api.post("/auth/login", json={"email": email, "password": password})


@pytest.fixture
def ops(api: TestClient, id_runtime: Runtime) -> str:
    return operator_token(api, id_runtime)


@pytest.fixture
def fraud(api: TestClient) -> str:
    return str(signup(api, EMAIL, "Fraud Co", ["supplier", "buyer"])["access_token"])


def test_a_suspended_organisations_requests_and_logins_are_refused(
    api: TestClient, ops: str, fraud: str
) -> None:
    org_id = _org_of(api, fraud)
    second = _login(api).json()["access_token"]
    r = _suspend(api, ops, org_id)
    assert r.status_code == 200, r.text
    shown = r.json()
    assert (shown["id"], shown["suspended"], shown["suspension_reason"]) == (org_id, True, REASON)
    assert shown["suspended_at"] is not None
    for token in (fraud, second):
        refused = api.get("/me", headers=bearer(token))
        assert refused.status_code == 401
        assert refused.json()["error"] == "token_revoked"  # its sessions ended
    login = _login(api)
    assert (login.status_code, login.json()) == (403, SUSPENDED)
    wrong = _login(api, password="not the password at all")
    assert wrong.status_code == 401  # only the password's holder learns of the suspension


def test_a_token_issued_while_suspended_is_refused_on_every_route(
    api: TestClient, id_runtime: Runtime, ops: str, fraud: str
) -> None:
    """A token that escaped the revocation (issued by a login that raced the suspension, say)
    is refused too: the check is on every request, not only at login."""
    org_id = _org_of(api, fraud)
    assert _suspend(api, ops, org_id).status_code == 200
    with unit_of_work(id_runtime.engine) as session:
        account = service.holder_account(session, org_id)
        assert account is not None
        leaked = issue_token(session, id_runtime.settings, account, utc_now(), signed_up=False)
    headers = bearer(leaked.access_token)
    for method, path, body in [
        ("GET", "/me", None),
        ("POST", "/organizations/me/invites", {}),
        ("POST", "/auth/password", {"current_password": PASSWORD, "new_password": PASSWORD * 2}),
        ("GET", "/assets", None),
        ("POST", "/orders", {"listing_id": 1, "purpose": "research"}),
        ("POST", "/books/withdrawals", {"amount_minor": 1}),
    ]:
        r = api.request(method, path, json=body, headers={**headers, "Idempotency-Key": "k" * 32})
        assert (r.status_code, r.json()) == (403, SUSPENDED), f"{method} {path}: {r.text}"
    assert _login(api, password=PASSWORD * 2).status_code == 401  # the password did not change


def test_reinstating_lets_it_log_in_again_but_revives_no_session(
    api: TestClient, ops: str, fraud: str
) -> None:
    org_id = _org_of(api, fraud)
    assert _suspend(api, ops, org_id).status_code == 200
    r = api.post(f"/organizations/{org_id}/reinstate", headers=bearer(ops))
    assert r.status_code == 200, r.text
    assert (r.json()["suspended"], r.json()["suspended_at"], r.json()["suspension_reason"]) == (
        False,
        None,
        None,
    )
    assert api.get("/me", headers=bearer(fraud)).json()["error"] == "token_revoked"
    token = _login(api).json()["access_token"]
    assert api.get("/me", headers=bearer(token)).status_code == 200


def test_other_organisations_are_untouched(api: TestClient, ops: str, fraud: str) -> None:
    honest = signup(api, "honest@example.org", "Honest Co", ["buyer"])["access_token"]
    assert _suspend(api, ops, _org_of(api, fraud)).status_code == 200
    assert api.get("/me", headers=bearer(honest)).status_code == 200
    listed = api.get("/organizations", headers=bearer(ops)).json()["items"]
    assert [(o["name"], o["suspended"]) for o in listed] == [
        ("Exchange operations", False),
        ("Fraud Co", True),
        ("Honest Co", False),
    ]


def test_sign_in_with_ethereum_and_invites_into_it_are_refused(
    api: TestClient, id_runtime: Runtime, ops: str, fraud: str
) -> None:
    wallet = new_wallet()
    invite = api.post("/organizations/me/invites", json={}, headers=bearer(fraud)).json()["code"]
    member = api.post("/auth/siwe", json=siwe_body(api, wallet, invite_code=invite))
    assert member.status_code == 200, member.text
    second = api.post("/organizations/me/invites", json={}, headers=bearer(fraud)).json()["code"]
    assert _suspend(api, ops, _org_of(api, fraud)).status_code == 200
    before = row_counts(id_runtime.engine)
    siwe = api.post("/auth/siwe", json=siwe_body(api, wallet))
    assert (siwe.status_code, siwe.json()) == (403, SUSPENDED)
    joining = api.post(
        "/auth/signup",
        json={"email": "new@example.org", "password": PASSWORD, "invite_code": second},
    )
    assert (joining.status_code, joining.json()) == (403, SUSPENDED)
    after = row_counts(id_runtime.engine)
    assert after == before | {"siwe_nonce": before["siwe_nonce"] + 1}  # the nonce asked for


def test_the_suspension_and_reinstatement_are_journaled_with_reason_and_operator(
    api: TestClient, id_runtime: Runtime, ops: str, fraud: str
) -> None:
    org_id = _org_of(api, fraud)
    operator = api.get("/me", headers=bearer(ops)).json()["account"]
    _login(api)
    assert _suspend(api, ops, org_id).status_code == 200
    assert api.post(f"/organizations/{org_id}/reinstate", headers=bearer(ops)).status_code == 200
    with Session(id_runtime.engine) as s:
        rows = s.exec(select(JournalEntry).order_by(JournalEntry.seq)).all()  # type: ignore[arg-type]
    suspended, reinstated = rows[-2], rows[-1]
    assert (suspended.kind, suspended.subject, suspended.actor) == (
        "organization.suspended",
        f"organization:{org_id}",
        operator["address"],
    )
    assert json.loads(suspended.payload_json) == {
        "organization_id": org_id,
        "operator_account_id": operator["id"],
        "reason": REASON,
        "tokens_revoked": 2,
    }
    assert (reinstated.kind, reinstated.actor) == ("organization.reinstated", operator["address"])
    assert json.loads(reinstated.payload_json) == {
        "organization_id": org_id,
        "operator_account_id": operator["id"],
    }


def test_refusals_change_nothing(
    api: TestClient, id_runtime: Runtime, ops: str, fraud: str
) -> None:
    org_id = _org_of(api, fraud)
    own = _org_of(api, ops)
    assert _suspend(api, ops, org_id).status_code == 200
    before = row_counts(id_runtime.engine)
    cases = [
        (_suspend(api, ops, 999_999), 404, "organization_not_found"),
        (_suspend(api, ops, org_id, "again"), 409, "already_suspended"),
        (_suspend(api, ops, own), 403, "suspension_refused"),
        (api.post("/organizations/999999/reinstate", headers=bearer(ops)), 404, None),
        (api.post(f"/organizations/{own}/reinstate", headers=bearer(ops)), 409, "not_suspended"),
    ]
    for r, status, code in cases:
        assert r.status_code == status, r.text
        assert set(r.json()) == {"error", "message"}
        if code:
            assert r.json()["error"] == code
    assert REASON in cases[1][0].json()["message"]
    assert row_counts(id_runtime.engine) == before


def test_another_operator_organisation_is_not_suspended_either(
    api: TestClient, id_runtime: Runtime, ops: str
) -> None:
    with unit_of_work(id_runtime.engine) as session:
        other = service.create_operator(
            session,
            id_runtime.settings,
            email="second@ops.test",
            password=PASSWORD,
            organization_name="Second operations",
            now=utc_now(),
        )
    r = _suspend(api, ops, other.organization_id)
    assert r.status_code == 403
    assert r.json()["error"] == "suspension_refused"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "x" * (limits.suspension_reason_length_max + 1)},
        {"reason": 12},
        {"reason": REASON, "suspended_by": 1},
    ],
    ids=["missing", "empty", "blank", "too long", "not text", "unknown field"],
)
def test_a_bad_body_is_422_and_suspends_nothing(
    api: TestClient, id_runtime: Runtime, ops: str, fraud: str, body: dict[str, Any]
) -> None:
    org_id = _org_of(api, fraud)
    before = row_counts(id_runtime.engine)
    r = api.post(f"/organizations/{org_id}/suspend", json=body, headers=bearer(ops))
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"error", "message"}
    assert row_counts(id_runtime.engine) == before
    assert api.get("/me", headers=bearer(fraud)).status_code == 200


def test_only_operators_suspend_or_reinstate(api: TestClient, ops: str, fraud: str) -> None:
    victim = signup(api, "victim@example.org", "Victim Co", ["supplier"])["access_token"]
    victim_org = _org_of(api, victim)
    for path in ("suspend", "reinstate"):
        url = f"/organizations/{victim_org}/{path}"
        body = {"reason": REASON}
        assert api.post(url, json=body).status_code == 401
        refused = api.post(url, json=body, headers=bearer(fraud))
        assert refused.status_code == 403
        assert refused.json()["error"] == "role_required"
        own = api.post(f"/organizations/{_org_of(api, fraud)}/{path}", json=body,
                       headers=bearer(fraud))  # fmt: skip
        assert own.status_code == 403
    assert api.get("/me", headers=bearer(victim)).status_code == 200


def test_of_two_operators_suspending_at_once_one_does_it(
    api: TestClient, id_runtime: Runtime, ops: str, fraud: str
) -> None:
    org_id = _org_of(api, fraud)
    second_ops = api.post(
        "/auth/login", json={"email": "ops@databourse.test", "password": PASSWORD}
    ).json()["access_token"]
    start = threading.Barrier(2)
    with (
        serving(create_app(runtime=id_runtime)) as served,
        httpx.Client(base_url=served.url, timeout=60) as http,
    ):

        def suspend(token: str) -> httpx.Response:
            start.wait()
            return _suspend(http, token, org_id)

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(suspend, [ops, second_ops]))
    assert sorted(r.status_code for r in answers) == [200, 409]
    with Session(id_runtime.engine) as s:
        kinds = s.exec(select(JournalEntry.kind)).all()
    assert kinds.count("organization.suspended") == 1


def test_a_suspended_arbitration_body_is_left_out_of_the_draw(
    api: TestClient, id_runtime: Runtime, ops: str
) -> None:
    bodies = []
    for n in range(2):
        token = signup(api, f"judge{n}@arb.test", f"Arbitration {n}", [])["access_token"]
        org_id = _org_of(api, token)
        for path, body in (("verify", None), ("roles", {"role": "arbitrator"})):
            r = api.post(f"/organizations/{org_id}/{path}", json=body, headers=bearer(ops))
            assert r.status_code == 200, r.text
        bodies.append(org_id)
    assert _suspend(api, ops, bodies[0]).status_code == 200
    with unit_of_work(id_runtime.engine) as session:
        pool = [account.organization_id for account in service.arbitrators(session)]
    assert pool == [bodies[1]]
