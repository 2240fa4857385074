"""Passwords, tokens and invite codes are stored only as hashes."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlmodel import Session, select

from marketplace.identity import passwords, tokens
from marketplace.identity.models import Account
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import PASSWORD, bearer, signup

# The other tests hash at argon2id's cheapest (tests/conftest.py); these check the real thing.
pytestmark = pytest.mark.usefixtures("production_password_hashing")

# argon2-cffi's defaults: RFC 9106's second recommended option (argon2id, 64 MiB, t=3, p=4)
PRODUCTION_PARAMETERS = "$argon2id$v=19$m=65536,t=3,p=4$"


def _dump(runtime: Runtime, table: str) -> str:
    with Session(runtime.engine) as s:
        return repr(s.execute(text(f"SELECT * FROM {table}")).all())  # noqa: S608 -- fixed names


def test_the_bearer_token_is_stored_only_as_its_hmac(api: TestClient, id_runtime: Runtime) -> None:
    token = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])["access_token"]
    assert token.startswith("dbt_")
    stored = _dump(id_runtime, "auth_token")
    assert token not in stored
    assert token.removeprefix("dbt_") not in stored
    secret = id_runtime.settings.secret_key.get_secret_value()
    assert tokens.digest(secret, token, purpose="bearer") in stored


def test_the_invite_code_is_stored_only_as_its_hmac(api: TestClient, id_runtime: Runtime) -> None:
    admin = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])["access_token"]
    code = api.post("/organizations/me/invites", headers=bearer(admin), json={}).json()["code"]
    assert code not in _dump(id_runtime, "invite")


def test_the_password_is_stored_as_argon2id(api: TestClient, id_runtime: Runtime) -> None:
    signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])
    stored = _dump(id_runtime, "account")
    assert PASSWORD not in stored
    assert PRODUCTION_PARAMETERS in stored


def test_login_rehashes_a_password_hashed_with_old_parameters(
    api: TestClient, id_runtime: Runtime
) -> None:
    signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    assert passwords.needs_rehash(weak)
    with Session(id_runtime.engine) as s:
        s.execute(update(Account).values(password_hash=weak))
        s.commit()
    assert api.post(
        "/auth/login", json={"email": "ada@example.org", "password": PASSWORD}
    ).is_success
    with Session(id_runtime.engine) as s:
        renewed = s.exec(select(Account)).one().password_hash
    assert renewed is not None
    assert renewed != weak
    assert renewed.startswith(PRODUCTION_PARAMETERS)
    assert not passwords.needs_rehash(renewed)


def test_unknown_account_still_costs_a_hash_and_fails() -> None:
    assert passwords.verify_password(None, PASSWORD) is False
    assert passwords.verify_password("not a hash", PASSWORD) is False
    assert passwords.verify_password(passwords.hash_password(PASSWORD), "x" * 1000) is False
