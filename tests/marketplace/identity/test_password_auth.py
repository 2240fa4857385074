"""Sign-up, login, /me, logout and the 401s with a password."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from ledger.models import utc_now
from marketplace import limits
from marketplace.identity.models import AuthToken
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import PASSWORD, bearer, row_counts, signup


def test_signup_returns_a_token_that_me_accepts(api: TestClient) -> None:
    issued = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier", "buyer"])
    assert issued["token_type"] == "bearer"
    assert issued["signed_up"] is True
    r = api.get("/me", headers=bearer(issued["access_token"]))
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["account"]["email"] == "ada@example.org"
    assert me["account"]["custodial"] is True
    assert me["account"]["address"].startswith("0x")
    assert len(me["account"]["address"]) == 42
    assert me["organization"]["name"] == "Ada Data Ltd"
    assert me["organization"]["roles"] == ["buyer", "supplier"]
    assert me["organization"]["verified"] is False
    assert me["membership_role"] == "admin"
    assert me["can_list"] is False
    assert me["can_buy"] is False


def test_login_with_the_right_password_gives_a_working_token(api: TestClient) -> None:
    signup(api, "bob@example.org", "Bob Buys", ["buyer"])
    r = api.post("/auth/login", json={"email": "BOB@example.org", "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["signed_up"] is False
    me = api.get("/me", headers=bearer(r.json()["access_token"]))
    assert me.json()["account"]["email"] == "bob@example.org"


def test_wrong_password_is_401_with_a_clear_message(api: TestClient) -> None:
    signup(api, "bob@example.org", "Bob Buys", ["buyer"])
    r = api.post("/auth/login", json={"email": "bob@example.org", "password": "not-the-password"})
    assert r.status_code == 401
    assert r.json() == {"error": "invalid_credentials", "message": "wrong email or password"}


def test_unknown_email_gets_the_same_401_as_a_wrong_password(api: TestClient) -> None:
    r = api.post("/auth/login", json={"email": "nobody@example.org", "password": PASSWORD})
    assert r.status_code == 401
    assert r.json() == {"error": "invalid_credentials", "message": "wrong email or password"}


def test_repeated_failures_are_throttled_with_429_even_for_the_right_password(
    api: TestClient,
) -> None:
    signup(api, "eve@example.org", "Eve Co", ["buyer"])
    for _ in range(limits.login_failures_per_client_max_default):
        r = api.post("/auth/login", json={"email": "eve@example.org", "password": "wrong-guess!"})
        assert r.status_code == 401
    r = api.post("/auth/login", json={"email": "eve@example.org", "password": PASSWORD})
    assert r.status_code == 429
    assert r.json()["error"] == "login_throttled"
    assert "too many failed logins" in r.json()["message"]


def test_a_successful_login_resets_the_failure_count(api: TestClient) -> None:
    signup(api, "eve@example.org", "Eve Co", ["buyer"])
    for _ in range(limits.login_failures_per_client_max_default - 1):
        api.post("/auth/login", json={"email": "eve@example.org", "password": "wrong-guess!"})
    ok = api.post("/auth/login", json={"email": "eve@example.org", "password": PASSWORD})
    assert ok.status_code == 200
    again = api.post("/auth/login", json={"email": "eve@example.org", "password": "wrong-guess!"})
    assert again.status_code == 401


def test_expired_token_is_401_saying_so(api: TestClient, id_runtime: Runtime) -> None:
    token = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])["access_token"]
    with Session(id_runtime.engine) as s:
        s.execute(update(AuthToken).values(expires_at=utc_now() - timedelta(seconds=1)))
        s.commit()
    r = api.get("/me", headers=bearer(token))
    assert r.status_code == 401
    assert r.json()["error"] == "token_expired"
    assert "expired" in r.json()["message"]


def test_logout_revokes_the_token(api: TestClient) -> None:
    token = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])["access_token"]
    r = api.post("/auth/logout", headers=bearer(token))
    assert r.status_code == 200
    assert r.json() == {"revoked": True}
    after = api.get("/me", headers=bearer(token))
    assert after.status_code == 401
    assert after.json()["error"] == "token_revoked"
    assert "revoked" in after.json()["message"]


def test_logout_leaves_other_tokens_of_the_account_working(api: TestClient) -> None:
    first = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])["access_token"]
    second = api.post("/auth/login", json={"email": "ada@example.org", "password": PASSWORD})
    api.post("/auth/logout", headers=bearer(first))
    assert api.get("/me", headers=bearer(second.json()["access_token"])).status_code == 200


def test_missing_authorization_header_is_401(api: TestClient) -> None:
    r = api.get("/me")
    assert r.status_code == 401
    assert r.json()["error"] == "not_authenticated"
    assert "Authorization" in r.json()["message"]


def test_malformed_authorization_header_is_401(api: TestClient) -> None:
    for header in ("Basic abc", "Bearer", "Bearer " + "x" * 500, "token"):
        r = api.get("/me", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert r.json()["error"] == "not_authenticated"


def test_unknown_or_malformed_token_is_401(api: TestClient) -> None:
    r = api.get("/me", headers=bearer("dbt_" + "A" * 43))
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token"
    r = api.get("/me", headers=bearer("not-a-token"))
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token"


def test_duplicate_email_is_409_and_writes_nothing(api: TestClient, id_runtime: Runtime) -> None:
    signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])
    before = row_counts(id_runtime.engine)
    r = api.post(
        "/auth/signup",
        json={
            "email": "ADA@example.org",
            "password": PASSWORD,
            "organization": {"name": "Another Org", "roles": ["buyer"]},
        },
    )
    assert r.status_code == 409
    assert r.json()["error"] == "email_taken"
    assert row_counts(id_runtime.engine) == before


def test_duplicate_organisation_name_is_409_regardless_of_case(
    api: TestClient, id_runtime: Runtime
) -> None:
    signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])
    before = row_counts(id_runtime.engine)
    r = api.post(
        "/auth/signup",
        json={
            "email": "other@example.org",
            "password": PASSWORD,
            "organization": {"name": "ada  data LTD", "roles": ["buyer"]},
        },
    )
    assert r.status_code == 409
    assert r.json()["error"] == "organization_name_taken"
    assert row_counts(id_runtime.engine) == before


def test_self_signup_cannot_ask_for_operator_or_arbitrator(api: TestClient) -> None:
    for role in ("operator", "arbitrator", "valuer"):
        r = api.post(
            "/auth/signup",
            json={
                "email": "sneaky@example.org",
                "password": PASSWORD,
                "organization": {"name": "Sneaky", "roles": [role]},
            },
        )
        assert r.status_code == 422, role
        assert r.json()["error"] == "invalid_request"


def test_short_password_is_refused_at_signup(api: TestClient) -> None:
    r = api.post(
        "/auth/signup",
        json={
            "email": "ada@example.org",
            "password": "short",
            "organization": {"name": "Ada", "roles": ["buyer"]},
        },
    )
    assert r.status_code == 422
    assert "password" in r.json()["message"]


def test_admin_invites_a_member_who_joins_the_organisation(api: TestClient) -> None:
    admin = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])["access_token"]
    invite = api.post("/organizations/me/invites", headers=bearer(admin), json={})
    assert invite.status_code == 201, invite.text
    code = invite.json()["code"]
    r = api.post(
        "/auth/signup",
        json={"email": "grace@example.org", "password": PASSWORD, "invite_code": code},
    )
    assert r.status_code == 201, r.text
    me = api.get("/me", headers=bearer(r.json()["access_token"])).json()
    assert me["organization"]["name"] == "Ada Data Ltd"
    assert me["membership_role"] == "member"


def test_an_invite_code_works_once(api: TestClient, id_runtime: Runtime) -> None:
    admin = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])["access_token"]
    code = api.post("/organizations/me/invites", headers=bearer(admin), json={}).json()["code"]
    first = {"email": "grace@example.org", "password": PASSWORD, "invite_code": code}
    assert api.post("/auth/signup", json=first).status_code == 201
    before = row_counts(id_runtime.engine)
    second = {"email": "heidi@example.org", "password": PASSWORD, "invite_code": code}
    r = api.post("/auth/signup", json=second)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_invite"
    assert "already used" in r.json()["message"]
    assert row_counts(id_runtime.engine) == before


def test_a_member_cannot_invite(api: TestClient) -> None:
    admin = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])["access_token"]
    code = api.post("/organizations/me/invites", headers=bearer(admin), json={}).json()["code"]
    member = api.post(
        "/auth/signup",
        json={"email": "grace@example.org", "password": PASSWORD, "invite_code": code},
    ).json()["access_token"]
    r = api.post("/organizations/me/invites", headers=bearer(member), json={})
    assert r.status_code == 403
    assert r.json()["error"] == "admin_required"
