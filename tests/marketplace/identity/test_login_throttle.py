"""Failed logins are throttled per account *and* client, so that an attacker cannot lock the
owner out; password hashing is bounded, and the excess is answered 429 with Retry-After."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
from fastapi.testclient import TestClient

from marketplace import limits
from marketplace.app import create_app
from marketplace.identity import passwords
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import (
    OPERATOR_EMAIL,
    PASSWORD,
    make_operator,
    serving,
    signup,
)
from tests.marketplace.ratelimit.helpers import REDIS_URL, lower_limits, unique_prefix

WRONG = "wrong-guess-123"
OWNER = "owner@example.org"


def _from(api: TestClient, host: str) -> TestClient:
    """The same exchange, reached from another client address."""
    return TestClient(api.app, client=(host, 40000), raise_server_exceptions=False)


def _login(api: TestClient, password: str, email: str = OWNER) -> httpx.Response:
    return api.post("/auth/login", json={"email": email, "password": password})


def _fail(api: TestClient, times: int, email: str = OWNER) -> None:
    for _ in range(times):
        assert _login(api, WRONG, email).status_code == 401


def test_an_attacker_cannot_lock_the_operator_out(api: TestClient, id_runtime: Runtime) -> None:
    make_operator(id_runtime)
    attacker = _from(api, "203.0.113.7")
    _fail(attacker, limits.login_failures_per_client_max_default, OPERATOR_EMAIL)
    refused = _login(attacker, PASSWORD, OPERATOR_EMAIL)  # even the right password
    assert refused.status_code == 429
    assert refused.json()["error"] == "login_throttled"
    assert "try again in" in refused.json()["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= limits.login_failure_window_s_default + 1
    owner = _from(api, "198.51.100.2")
    assert _login(owner, PASSWORD, OPERATOR_EMAIL).status_code == 200
    assert _login(attacker, PASSWORD, OPERATOR_EMAIL).status_code == 429  # still throttled


def test_one_ipv6_64_is_one_client(api: TestClient) -> None:
    signup(api, OWNER, "Owner Co", ["buyer"])
    _fail(_from(api, "2001:db8:1:2::1"), limits.login_failures_per_client_max_default)
    assert _login(_from(api, "2001:db8:1:2::ffff"), WRONG).status_code == 429
    assert _login(_from(api, "2001:db8:1:3::1"), PASSWORD).status_code == 200


def test_a_distributed_attack_shrinks_each_clients_allowance_but_not_the_owners(
    api: TestClient,
) -> None:
    lower_limits(api.app, login_failures_per_account_max=6)
    signup(api, OWNER, "Owner Co", ["buyer"])
    for n in range(6):
        _fail(_from(api, f"203.0.113.{n + 1}"), 1)
    fresh = _from(api, "203.0.113.100")
    _fail(fresh, limits.login_failures_per_client_under_attack_max_default)
    assert _login(fresh, PASSWORD).status_code == 429
    assert _login(_from(api, "198.51.100.2"), PASSWORD).status_code == 200


def test_the_counters_are_shared_by_every_api_process_through_redis(
    api: TestClient, id_runtime: Runtime
) -> None:
    shared = id_runtime.settings.model_copy(
        update={"rate_limit_storage_url": REDIS_URL, "rate_limit_key_prefix": unique_prefix()}
    )
    id_runtime.settings = shared
    signup(api, OWNER, "Owner Co", ["buyer"])
    _fail(api, limits.login_failures_per_client_max_default)
    second = Runtime(settings=shared, engine=id_runtime.engine)
    with TestClient(create_app(runtime=second), raise_server_exceptions=False) as other:
        assert _login(other, PASSWORD).status_code == 429


def test_logins_beyond_the_hashing_limit_get_429_and_are_not_counted(api: TestClient) -> None:
    signup(api, OWNER, "Owner Co", ["buyer"])
    with ExitStack() as busy:
        for _ in range(limits.password_hashes_concurrent_max):
            busy.enter_context(passwords.hashing_slot())  # that many hashes are running
        for _ in range(limits.login_failures_per_client_max_default + 1):
            r = _login(api, WRONG)
            assert r.status_code == 429
            assert r.json() == {
                "error": "password_checks_busy",
                "message": "the exchange is checking too many passwords at once; try again in "
                f"{limits.password_hash_retry_after_s} s",
            }
            assert r.headers["Retry-After"] == str(limits.password_hash_retry_after_s)
        r = api.post(
            "/auth/signup",
            json={
                "email": "new@example.org",
                "password": PASSWORD,
                "organization": {"name": "New Co", "roles": ["buyer"]},
            },
        )
        assert r.status_code == 429
        assert r.json()["error"] == "password_checks_busy"
    assert _login(api, PASSWORD).status_code == 200  # the refused attempts were not failures


def test_a_burst_of_failed_logins_gets_401s_and_429s_never_a_5xx(
    api: TestClient, id_runtime: Runtime
) -> None:
    signup(api, OWNER, "Owner Co", ["buyer"])
    with (
        serving(create_app(runtime=id_runtime)) as served,
        httpx.Client(base_url=served.url, timeout=60) as http,
    ):

        def attempt(_: int) -> httpx.Response:
            return http.post("/auth/login", json={"email": OWNER, "password": WRONG})

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(attempt, range(32)))
    assert {r.status_code for r in answers} <= {401, 429}
    for r in answers:
        assert set(r.json()) == {"error", "message"}
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) >= 1


def test_a_network_failing_for_many_names_is_throttled_for_all(
    api: TestClient,
) -> None:
    lower_limits(api.app, login_failures_per_network_max=4)
    signup(api, OWNER, "Owner Co", ["buyer"])
    sprayer = _from(api, "203.0.113.9")
    for n in range(4):
        _fail(sprayer, 1, f"guess{n}@example.org")
    refused = _login(sprayer, PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["message"].startswith("too many failed logins from your network")
    assert int(refused.headers["Retry-After"]) >= 1
    assert _login(_from(api, "198.51.100.2"), PASSWORD).status_code == 200
