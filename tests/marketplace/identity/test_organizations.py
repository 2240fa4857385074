"""The organisation look-ups identity's service offers other domains: the organisation, its
roles, and the account that holds its assets."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace.identity import service
from marketplace.identity.models import Account
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import PASSWORD, bearer, signup


def _org_id(api: TestClient, token: str) -> int:
    return int(api.get("/me", headers=bearer(token)).json()["organization"]["id"])


def _join(api: TestClient, admin_token: str, email: str, membership_role: str) -> int:
    invite = api.post(
        "/organizations/me/invites",
        headers=bearer(admin_token),
        json={"membership_role": membership_role},
    )
    assert invite.status_code == 201, invite.text
    r = api.post(
        "/auth/signup",
        json={"email": email, "password": PASSWORD, "invite_code": invite.json()["code"]},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["account"]["id"])


def _set_membership_role(runtime: Runtime, account_id: int, membership_role: str) -> None:
    with Session(runtime.engine) as s:
        account = s.get(Account, account_id)
        assert account is not None
        account.membership_role = membership_role
        s.add(account)
        s.commit()


def test_organization_and_its_roles_are_looked_up_by_id(
    api: TestClient, id_runtime: Runtime
) -> None:
    token = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier", "buyer"])["access_token"]
    org_id = _org_id(api, token)
    with Session(id_runtime.engine) as s:
        org = service.organization(s, org_id)
        assert org is not None
        assert org.name == "Ada Data Ltd"
        assert org.verified_at is None
        assert service.organization_roles(s, org_id) == ["buyer", "supplier"]
        assert service.organization(s, org_id + 1) is None
        assert service.organization_roles(s, org_id + 1) == []


def test_the_holder_account_is_the_first_admin_else_the_first_account(
    api: TestClient, id_runtime: Runtime
) -> None:
    signed_up = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])
    ada = int(signed_up["account"]["id"])
    org_id = _org_id(api, signed_up["access_token"])
    grace = _join(api, signed_up["access_token"], "grace@example.org", "member")
    hal = _join(api, signed_up["access_token"], "hal@example.org", "admin")
    assert ada < grace < hal

    def holder() -> int | None:
        with Session(id_runtime.engine) as s:
            account = service.holder_account(s, org_id)
            return None if account is None else account.id

    assert holder() == ada
    _set_membership_role(id_runtime, ada, "member")
    assert holder() == hal  # an admin before a member with a lower id
    _set_membership_role(id_runtime, hal, "member")
    assert holder() == ada  # no admin: the lowest id
    with Session(id_runtime.engine) as s:
        assert service.holder_account(s, org_id + 1) is None
