"""POST /auth/logout-all: every bearer token of the account stops working, the calling one
included, with the same 401 as a logout."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from ledger.models import utc_now
from marketplace.app import create_app
from marketplace.db import unit_of_work
from marketplace.identity import service
from marketplace.identity.errors import TokenRevoked
from marketplace.identity.models import AuthToken
from marketplace.identity.service.bearer_tokens import authenticate
from marketplace.ratelimit import rate_limits_of
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import (
    PASSWORD,
    bearer,
    new_wallet,
    row_counts,
    serving,
    signup,
    siwe_body,
)

EMAIL = "ada@example.org"
NEW = "a much longer new passphrase"


def _token(api: TestClient | httpx.Client, password: str = PASSWORD) -> str:
    r = api.post("/auth/login", json={"email": EMAIL, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _revoked(api: TestClient | httpx.Client, token: str) -> bool:
    r = api.get("/me", headers=bearer(token))
    if r.status_code == 200:
        return False
    assert r.status_code == 401, r.text
    assert r.json() == {
        "error": "token_revoked",
        "message": "the bearer token was revoked (logged out); log in again",
    }
    return True


def test_every_token_of_the_account_is_revoked_the_calling_one_included(
    api: TestClient,
) -> None:
    mine = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    others = [_token(api), _token(api)]
    r = api.post("/auth/logout-all", headers=bearer(mine))
    assert r.status_code == 200, r.text
    assert r.json() == {"tokens_revoked": 3}
    assert all(_revoked(api, token) for token in [mine, *others])


def test_another_accounts_tokens_keep_working(api: TestClient) -> None:
    mine = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    colleague = signup(api, "bob@example.org", "Bob Buys", ["buyer"])["access_token"]
    assert api.post("/auth/logout-all", headers=bearer(mine)).status_code == 200
    assert not _revoked(api, colleague)


def test_a_new_login_afterwards_works(api: TestClient) -> None:
    mine = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    assert api.post("/auth/logout-all", headers=bearer(mine)).status_code == 200
    assert not _revoked(api, _token(api))


def test_expired_tokens_are_not_counted(api: TestClient, id_runtime: Runtime) -> None:
    signup(api, EMAIL, "Ada Data Ltd", ["supplier"])
    _token(api)
    with Session(id_runtime.engine) as s:
        s.execute(update(AuthToken).values(expires_at=utc_now()))
        s.commit()
    mine = _token(api)
    assert api.post("/auth/logout-all", headers=bearer(mine)).json() == {"tokens_revoked": 1}


def test_a_sign_in_with_ethereum_account_logs_out_everywhere_too(api: TestClient) -> None:
    wallet = new_wallet()
    org = {"name": "Wallet Co", "roles": ["buyer"]}
    first = api.post("/auth/siwe", json=siwe_body(api, wallet, organization=org))
    second = api.post("/auth/siwe", json=siwe_body(api, wallet))
    assert first.status_code == second.status_code == 200
    tokens = [first.json()["access_token"], second.json()["access_token"]]
    r = api.post("/auth/logout-all", headers=bearer(tokens[1]))
    assert r.json() == {"tokens_revoked": 2}
    assert all(_revoked(api, token) for token in tokens)


def test_without_a_working_token_it_is_401_and_revokes_nothing(
    api: TestClient, id_runtime: Runtime
) -> None:
    mine = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    other = _token(api)
    assert api.post("/auth/logout", headers=bearer(mine)).status_code == 200
    before = row_counts(id_runtime.engine)
    anonymous = api.post("/auth/logout-all")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "not_authenticated"
    again = api.post("/auth/logout-all", headers=bearer(mine))
    assert again.status_code == 401
    assert again.json()["error"] == "token_revoked"
    forged = api.post("/auth/logout-all", headers=bearer("dbt_" + "A" * 43))
    assert forged.status_code == 401
    assert forged.json()["error"] == "invalid_token"
    assert row_counts(id_runtime.engine) == before
    assert not _revoked(api, other)


@pytest.mark.parametrize("body", [{"everywhere": True}, [], "x"], ids=["object", "list", "text"])
def test_a_body_is_ignored_and_no_token_is_needed_from_it(api: TestClient, body: object) -> None:
    """The route takes no body: the caller is its token, never a field."""
    mine = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    colleague = signup(api, "bob@example.org", "Bob Buys", ["buyer"])["access_token"]
    r = api.post("/auth/logout-all", json=body, headers=bearer(mine))
    assert r.status_code == 200, r.text
    assert _revoked(api, mine)
    assert not _revoked(api, colleague)


def test_a_password_change_that_checked_before_a_logout_everywhere_keeps_no_token(
    api: TestClient, id_runtime: Runtime
) -> None:
    """A change whose token is revoked before it commits changes nothing: the holder who
    logged out everywhere is not then locked out by a password it does not know."""
    mine = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    stolen = _token(api)
    settings, rates, now = id_runtime.settings, rate_limits_of(id_runtime), utc_now()
    with unit_of_work(id_runtime.engine) as session:
        thief = authenticate(session, settings, stolen, now)
        attempt = service.start_password_change(session, settings, rates, thief, "192.0.2.1")
    service.check_current_password(attempt, PASSWORD, NEW)
    assert api.post("/auth/logout-all", headers=bearer(mine)).status_code == 200
    with pytest.raises(TokenRevoked), unit_of_work(id_runtime.engine) as session:
        service.finish_password_change(session, rates, thief, attempt, "unused", now=now)
    assert not _revoked(api, _token(api, PASSWORD))


def test_no_token_from_a_login_racing_it_outlives_it_unless_issued_after(
    api: TestClient, id_runtime: Runtime
) -> None:
    """Logins run while the account logs out everywhere: each token they got is revoked, or was
    issued after the logout committed (the password still works: change it too if it leaked)."""
    mine = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    done = threading.Event()
    first_logins = threading.Barrier(3)
    with (
        serving(create_app(runtime=id_runtime)) as served,
        httpx.Client(base_url=served.url, timeout=60) as http,
    ):

        def log_in_until_done(_: int) -> list[tuple[str, bool]]:
            issued = []  # (token, whether its login began after the logout's answer)
            while True:
                began_after = done.is_set()
                r = http.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
                if r.status_code == 200:
                    issued.append((str(r.json()["access_token"]), began_after))
                    if len(issued) == 1:
                        first_logins.wait()
                else:
                    assert r.status_code == 429, r.text  # hashing slots busy
                if began_after:
                    return issued

        with ThreadPoolExecutor(2) as pool:
            logins = [pool.submit(log_in_until_done, n) for n in range(2)]
            first_logins.wait()
            r = http.post("/auth/logout-all", headers=bearer(mine))
            done.set()
            per_logger = [future.result() for future in logins]
        issued = [token for tokens in per_logger for token in tokens]
        assert r.status_code == 200, r.text
        assert r.json()["tokens_revoked"] >= 3
        # Each logger's first token was issued before the logout began.
        assert all(_revoked(http, tokens[0][0]) for tokens in per_logger)
        # A login that began before the answer may have finished after the commit: its token
        # is new. Every token the logout counted is revoked, the caller's own among them.
        before = [token for token, began_after in issued if not began_after]
        revoked = sum(_revoked(http, token) for token in before)
        assert revoked + 1 == r.json()["tokens_revoked"]
        assert _revoked(http, mine)
        assert not any(_revoked(http, token) for token, began_after in issued if began_after)
