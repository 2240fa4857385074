"""Abuse limits: sign-ups, SIWE nonces, bids and evidence uploads answer 429 with Retry-After and
the house error body once their window is full; the counters live in the process by default and
in one Redis that every API process shares when the settings say so."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from marketplace import limits
from marketplace.app import create_app
from marketplace.identity import passwords
from marketplace.identity.models import Account
from marketplace.ratelimit import attach_probe
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import Party, operator, party, verify
from tests.marketplace.identity.helpers import CHAIN_ID, PASSWORD
from tests.marketplace.ratelimit.helpers import REDIS_URL, lower_limits, unique_prefix

STORES = {"memory": "memory://", "redis": REDIS_URL}


@pytest.fixture(params=sorted(STORES))
def store_url(request: pytest.FixtureRequest) -> str:
    return STORES[request.param]


def _runtime(engine: Engine, store_url: str, prefix: str, **limits: object) -> Runtime:
    settings = settings_for(
        engine, rate_limit_storage_url=store_url, rate_limit_key_prefix=prefix, **limits
    )
    runtime = Runtime(settings=settings, engine=engine)
    runtime.chain_id = CHAIN_ID
    return runtime


@pytest.fixture
def api(engine: Engine, store_url: str) -> Iterator[TestClient]:
    runtime = _runtime(engine, store_url, unique_prefix())
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as client:
        yield client


def _from(api: TestClient, host: str) -> TestClient:
    return TestClient(api.app, client=(host, 40000), raise_server_exceptions=False)


def _signup(api: TestClient, n: int) -> httpx.Response:
    return api.post(
        "/auth/signup",
        json={
            "email": f"user{n}@example.org",
            "password": PASSWORD,
            "organization": {"name": f"Org {n}", "roles": ["buyer"]},
        },
    )


def _assert_refused(r: httpx.Response, window_s: int, starts: str) -> None:
    assert r.status_code == 429, r.text
    body = r.json()
    assert set(body) == {"error", "message"}
    assert body["error"] == "rate_limited"
    assert body["message"].startswith(starts), body["message"]
    assert 1 <= int(r.headers["Retry-After"]) <= window_s + 1


def test_signups_beyond_the_limit_get_429_per_client_network(api: TestClient) -> None:
    lower_limits(api.app, signups_per_network_max=2, signup_window_s=600)
    spammer = _from(api, "203.0.113.5")
    assert [_signup(spammer, n).status_code for n in range(2)] == [201, 201]
    _assert_refused(_signup(spammer, 2), 600, "too many sign-ups from your network")
    assert _signup(_from(api, "198.51.100.8"), 3).status_code == 201


def test_a_signup_refused_as_busy_leaves_the_networks_allowance_alone(api: TestClient) -> None:
    """Every password-hashing slot taken: the sign-up is 429 ``password_checks_busy`` and not
    counted (a burst of sign-ups once used up its network's hour)."""
    lower_limits(api.app, signups_per_network_max=2, signup_window_s=600)
    caller = _from(api, "203.0.113.7")
    with ExitStack() as held:
        for _ in range(limits.password_hashes_concurrent_max):
            held.enter_context(passwords.hashing_slot())
        for n in range(3):
            r = _signup(caller, n)
            assert (r.status_code, r.json()["error"]) == (429, "password_checks_busy"), r.text
    assert [_signup(caller, n).status_code for n in range(2)] == [201, 201]
    _assert_refused(_signup(caller, 2), 600, "too many sign-ups from your network")


def test_siwe_nonces_beyond_the_limit_get_429(api: TestClient) -> None:
    lower_limits(api.app, siwe_nonces_per_network_max=3, siwe_nonce_window_s=60)
    asked = [api.get("/auth/siwe/nonce") for _ in range(3)]
    assert [r.status_code for r in asked] == [200, 200, 200]
    _assert_refused(api.get("/auth/siwe/nonce"), 60, "too many sign-in nonces")


def _verified_buyer(api: TestClient) -> Party:
    ops = operator(api, api.app.state.runtime)
    buyer = party(api, "bea@buyer.test", "Bea Buys", ["buyer"])
    verify(api, ops, buyer)
    return buyer


def test_bids_beyond_the_limit_get_429_per_organisation(api: TestClient) -> None:
    buyer = _verified_buyer(api)
    lower_limits(api.app, bids_per_organization_max=2, bid_window_s=3600)
    bid = {"commitment": "0x" + "ab" * 32, "purpose": "research"}
    tried = [api.post("/auctions/999/bids", json=bid, headers=buyer.headers) for _ in range(2)]
    assert [r.status_code for r in tried] == [404, 404]  # tried, accepted or not, counts
    refused = api.post("/auctions/999/bids", json=bid, headers=buyer.headers)
    _assert_refused(refused, 3600, "too many bids committed by your organisation")


def test_evidence_uploads_beyond_the_limit_get_429_per_account(api: TestClient) -> None:
    buyer = _verified_buyer(api)
    lower_limits(api.app, evidence_uploads_per_account_max=2, evidence_upload_window_s=3600)

    def upload(n: int) -> httpx.Response:
        headers = {**buyer.headers, "Idempotency-Key": f"upload-{n}"}
        return api.post("/upload/disputes/999/evidence?title=x", content=b"file", headers=headers)

    assert [upload(n).status_code for n in range(2)] == [404, 404]
    _assert_refused(upload(2), 3600, "too many evidence files uploaded by your account")


def test_a_second_app_on_redis_sees_the_first_apps_hits(engine: Engine) -> None:
    prefix = unique_prefix()
    limits = {"signups_per_network_max": 2}
    first = create_app(runtime=_runtime(engine, REDIS_URL, prefix, **limits))
    second = create_app(runtime=_runtime(engine, REDIS_URL, prefix, **limits))
    with (
        TestClient(first, raise_server_exceptions=False) as one,
        TestClient(second, raise_server_exceptions=False) as two,
    ):
        assert [_signup(one, n).status_code for n in range(2)] == [201, 201]
        _assert_refused(_signup(two, 2), 3600, "too many sign-ups")


def test_in_memory_counters_belong_to_their_process(engine: Engine) -> None:
    limits = {"signups_per_network_max": 2}
    first = create_app(runtime=_runtime(engine, "memory://", "a", **limits))
    second = create_app(runtime=_runtime(engine, "memory://", "a", **limits))
    with (
        TestClient(first, raise_server_exceptions=False) as one,
        TestClient(second, raise_server_exceptions=False) as two,
    ):
        assert [_signup(one, n).status_code for n in range(2)] == [201, 201]
        _assert_refused(_signup(one, 2), 3600, "too many sign-ups")
        assert _signup(two, 3).status_code == 201


def test_an_unreachable_store_answers_503_and_nothing_is_done(engine: Engine) -> None:
    runtime = _runtime(engine, "redis://127.0.0.1:9/0", unique_prefix())
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as api:
        r = _signup(api, 1)
        assert r.status_code == 503
        assert r.json()["error"] == "rate_limit_store_unavailable"
        assert int(r.headers["Retry-After"]) >= 1
    with Session(engine) as session:
        assert session.exec(select(Account)).all() == []


def test_an_unreachable_store_is_logged_once_and_shown_by_health(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """Redis gone: each counted request is 503, the operator gets one warning (not one per
    request) and /health names the store; with Redis back, /health is ok again."""
    runtime = _runtime(engine, "redis://127.0.0.1:1/0", unique_prefix())  # nothing listens
    attach_probe(runtime)
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as api:
        for n in range(3):
            r = _signup(api, n)
            assert (r.status_code, r.json()["error"]) == (503, "rate_limit_store_unavailable")
        logged = capsys.readouterr().err.splitlines()
        assert sum("rate-limit store unreachable" in line for line in logged) == 1
        health = api.get("/health").json()
        assert health["status"] == "degraded"
        assert health["rate_limits"]["ok"] is False
        lower_limits(api.app, rate_limit_storage_url=REDIS_URL)
        health = api.get("/health").json()
        assert health["rate_limits"] == {"ok": True}
