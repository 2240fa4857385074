"""POST /auth/password: a leaked password is changed, and every other session of the account
ends; a wrong current password is a failed login, so a stolen token is no password oracle."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from ledger.models import JournalEntry, utc_now
from marketplace import limits
from marketplace.app import create_app
from marketplace.db import unit_of_work
from marketplace.identity import passwords, service
from marketplace.identity.errors import InvalidCredentials
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
WRONG = "not the password at all"


def _login(api: TestClient | httpx.Client, password: str) -> httpx.Response:
    return api.post("/auth/login", json={"email": EMAIL, "password": password})


def _token(api: TestClient, password: str = PASSWORD) -> str:
    r = _login(api, password)
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _change(
    api: TestClient | httpx.Client, token: str, current: str = PASSWORD, new: str = NEW
) -> httpx.Response:
    body = {"current_password": current, "new_password": new}
    return api.post("/auth/password", json=body, headers=bearer(token))


def _from(api: TestClient, host: str) -> TestClient:
    """The same exchange, reached from another client address."""
    return TestClient(api.app, client=(host, 40000), raise_server_exceptions=False)


def test_the_new_password_logs_in_and_the_old_one_no_longer_does(api: TestClient) -> None:
    token = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    r = _change(api, token)
    assert r.status_code == 200, r.text
    assert r.json() == {"changed": True, "other_tokens_revoked": 0}
    old = _login(api, PASSWORD)
    assert old.status_code == 401
    assert old.json()["error"] == "invalid_credentials"
    assert _login(api, NEW).status_code == 200


def test_every_other_token_is_revoked_and_the_one_used_still_works(api: TestClient) -> None:
    mine = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    attackers = [_token(api), _token(api)]
    r = _change(api, mine)
    assert r.status_code == 200, r.text
    assert r.json()["other_tokens_revoked"] == 2
    for token in attackers:
        after = api.get("/me", headers=bearer(token))
        assert after.status_code == 401
        assert after.json()["error"] == "token_revoked"
    assert api.get("/me", headers=bearer(mine)).status_code == 200


def test_another_accounts_tokens_are_untouched(api: TestClient) -> None:
    mine = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    colleague = signup(api, "bob@example.org", "Bob Buys", ["buyer"])["access_token"]
    assert _change(api, mine).status_code == 200
    assert api.get("/me", headers=bearer(colleague)).status_code == 200


def test_a_wrong_current_password_is_403_and_changes_nothing(
    api: TestClient, id_runtime: Runtime
) -> None:
    mine = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    other = _token(api)
    before = row_counts(id_runtime.engine)
    r = _change(api, mine, current=WRONG)
    assert r.status_code == 403
    assert r.json() == {"error": "wrong_password", "message": "the current password is wrong"}
    assert row_counts(id_runtime.engine) == before
    assert api.get("/me", headers=bearer(other)).status_code == 200
    assert _login(api, PASSWORD).status_code == 200
    assert _login(api, NEW).status_code == 401


def test_wrong_current_passwords_count_as_failed_logins(api: TestClient) -> None:
    """A stolen token cannot guess the password faster than the login allows: the failures
    throttle this network's logins and changes for the account, even with the right password,
    and the owner elsewhere is not locked out."""
    token = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    thief = _from(api, "203.0.113.7")
    for _ in range(limits.login_failures_per_client_max_default):
        assert _change(thief, token, current=WRONG).status_code == 403
    refused = _change(thief, token)
    assert refused.status_code == 429
    assert refused.json()["error"] == "login_throttled"
    assert int(refused.headers["Retry-After"]) >= 1
    assert _login(thief, PASSWORD).status_code == 429
    owner = _from(api, "198.51.100.2")
    assert _change(owner, token).status_code == 200


def test_failed_logins_throttle_the_change_too(api: TestClient) -> None:
    token = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    thief = _from(api, "203.0.113.7")
    for _ in range(limits.login_failures_per_client_max_default):
        assert _login(thief, WRONG).status_code == 401
    assert _change(thief, token).status_code == 429
    assert _login(api, PASSWORD).status_code == 200  # nothing changed


def test_a_change_beyond_the_hashing_limit_is_429_and_not_counted(api: TestClient) -> None:
    token = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    with ExitStack() as busy:
        for _ in range(limits.password_hashes_concurrent_max):
            busy.enter_context(passwords.hashing_slot())
        for _ in range(limits.login_failures_per_client_max_default + 1):
            r = _change(api, token, current=WRONG)
            assert r.status_code == 429
            assert r.json()["error"] == "password_checks_busy"
            assert r.headers["Retry-After"] == str(limits.password_hash_retry_after_s)
    assert _change(api, token).status_code == 200  # the refused attempts were not failures


def test_a_sign_in_with_ethereum_account_has_no_password_to_change(
    api: TestClient, id_runtime: Runtime
) -> None:
    org = {"name": "Wallet Co", "roles": ["buyer"]}
    body = siwe_body(api, new_wallet(), organization=org, email="w@example.org")
    r = api.post("/auth/siwe", json=body)
    assert r.status_code == 200, r.text
    before = row_counts(id_runtime.engine)
    refused = _change(api, r.json()["access_token"], current=WRONG)
    assert refused.status_code == 409
    assert refused.json()["error"] == "no_password"
    assert "Ethereum" in refused.json()["message"]
    assert row_counts(id_runtime.engine) == before


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"new_password": NEW}, "current_password"),
        ({"current_password": PASSWORD}, "new_password"),
        ({"current_password": PASSWORD, "new_password": "too short"}, "new_password"),
        ({"current_password": "", "new_password": NEW}, "current_password"),
        (
            {"current_password": "x" * (limits.password_length_max + 1), "new_password": NEW},
            "current_password",
        ),
        (
            {"current_password": PASSWORD, "new_password": "x" * (limits.password_length_max + 1)},
            "new_password",
        ),
        ({"current_password": PASSWORD, "new_password": NEW, "email": "x@y.z"}, "email"),
        ({"current_password": 12345678901234, "new_password": NEW}, "current_password"),
    ],
    ids=[
        "no current",
        "no new",
        "new too short",
        "empty current",
        "current too long",
        "new too long",
        "unknown field",
        "current not a string",
    ],
)
def test_a_bad_body_is_422_and_changes_nothing(
    api: TestClient, id_runtime: Runtime, body: dict[str, Any], where: str
) -> None:
    token = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    before = row_counts(id_runtime.engine)
    r = api.post("/auth/password", json=body, headers=bearer(token))
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"error", "message"}
    assert where in r.json()["message"]
    assert row_counts(id_runtime.engine) == before
    assert _login(api, PASSWORD).status_code == 200


def test_the_same_password_again_is_refused(api: TestClient) -> None:
    token = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    other = _token(api)
    r = _change(api, token, new=PASSWORD)
    assert r.status_code == 400
    assert r.json()["error"] == "same_password"
    assert api.get("/me", headers=bearer(other)).status_code == 200


def test_without_a_working_token_it_is_401(api: TestClient) -> None:
    token = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    body = {"current_password": PASSWORD, "new_password": NEW}
    assert api.post("/auth/password", json=body).status_code == 401
    assert api.post("/auth/logout", headers=bearer(token)).status_code == 200
    revoked = _change(api, token)
    assert revoked.status_code == 401
    assert revoked.json()["error"] == "token_revoked"
    assert _login(api, PASSWORD).status_code == 200


def test_the_change_is_journaled_without_the_password_or_its_hash(
    api: TestClient, id_runtime: Runtime
) -> None:
    issued = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])
    _token(api)
    assert _change(api, issued["access_token"]).status_code == 200
    with Session(id_runtime.engine) as s:
        entry = s.exec(select(JournalEntry).order_by(JournalEntry.seq.desc())).first()  # type: ignore[attr-defined]
    assert entry is not None
    assert entry.kind == "account.password_changed"
    assert entry.subject == f"account:{issued['account']['id']}"
    assert entry.actor == issued["account"]["address"]
    payload = json.loads(entry.payload_json)
    assert payload == {"account_id": issued["account"]["id"], "other_tokens_revoked": 1}
    assert "argon2" not in entry.payload_json
    assert PASSWORD not in entry.payload_json
    assert NEW not in entry.payload_json


def test_a_login_that_checked_the_old_password_before_the_change_gets_no_token(
    api: TestClient, id_runtime: Runtime
) -> None:
    token = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    settings, rates = id_runtime.settings, rate_limits_of(id_runtime)
    with unit_of_work(id_runtime.engine) as session:
        attempt = service.start_password_login(session, settings, rates, EMAIL, "192.0.2.1")
    service.check_password(attempt, PASSWORD)  # the old password, still right here
    assert _change(api, token).status_code == 200
    with (
        pytest.raises(InvalidCredentials),
        unit_of_work(id_runtime.engine) as session,
    ):
        service.finish_password_login(session, settings, rates, attempt, PASSWORD, now=utc_now())


def test_no_login_with_the_old_password_outlives_a_change_racing_it(
    api: TestClient, id_runtime: Runtime
) -> None:
    """Logins with the old password run while the password changes: whichever finished first,
    no token they were given works afterwards."""
    mine = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    changed = threading.Event()
    first_logins = threading.Barrier(3)  # each logger has a token before the change starts
    with (
        serving(create_app(runtime=id_runtime)) as served,
        httpx.Client(base_url=served.url, timeout=60) as http,
    ):

        def log_in_until_changed(_: int) -> list[str]:
            issued = []
            while not changed.is_set():
                r = _login(http, PASSWORD)
                if r.status_code == 200:
                    issued.append(str(r.json()["access_token"]))
                    if len(issued) == 1:
                        first_logins.wait()
                else:
                    assert r.status_code in (401, 429), r.text
            return issued

        with ThreadPoolExecutor(3) as pool:
            logins = [pool.submit(log_in_until_changed, n) for n in range(2)]
            first_logins.wait()
            for _ in range(1000):  # the loggers hold hashing slots; retry when all are busy
                r = _change(http, mine)
                if r.status_code != 429:
                    break
            changed.set()
            issued = [token for future in logins for token in future.result()]
        assert r.status_code == 200, r.text
        assert len(issued) >= 2
        for token in issued:
            after = http.get("/me", headers=bearer(token))
            assert after.status_code == 401, after.text
            assert after.json()["error"] == "token_revoked"
        assert http.get("/me", headers=bearer(mine)).status_code == 200


def test_of_two_concurrent_changes_one_wins(api: TestClient, id_runtime: Runtime) -> None:
    first = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    second = _token(api)
    with (
        serving(create_app(runtime=id_runtime)) as served,
        httpx.Client(base_url=served.url, timeout=60) as http,
    ):
        start = threading.Barrier(2)

        def change(args: tuple[str, str]) -> httpx.Response:
            token, new = args
            start.wait()
            return _change(http, token, new=new)

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(change, [(first, NEW), (second, NEW + " too")]))
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(200) == 1, [r.text for r in answers]
    loser = next(r for r in answers if r.status_code != 200)
    assert (loser.status_code, loser.json()["error"]) in {
        (409, "password_changed_meanwhile"),
        (401, "token_revoked"),
        (403, "wrong_password"),
    }
    winner = NEW if answers[0].status_code == 200 else NEW + " too"
    assert _login(api, winner).status_code == 200
    assert _login(api, PASSWORD).status_code == 401
