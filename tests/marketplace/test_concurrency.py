"""More concurrent requests than the service has worker threads are all answered, none with a
5xx: without the in-flight bound, requests waiting for the database took every thread, the
request holding the transaction never got its next one, and all of them failed after 30 s."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import bearer, serving, signup

CLIENTS = 80  # twice anyio's 40 worker threads


def test_a_burst_wider_than_the_thread_pool_gets_no_5xx(runtime: Runtime) -> None:
    app = create_app(runtime=runtime)
    with TestClient(app) as api:
        token = signup(api, "busy@example.org", "Busy Co", ["buyer"])["access_token"]
    limits = httpx.Limits(max_connections=CLIENTS)
    with (
        serving(app) as served,
        httpx.Client(base_url=served.url, timeout=120, limits=limits) as http,
    ):

        def me(_: int) -> int:
            return http.get("/me", headers=bearer(token)).status_code

        with ThreadPoolExecutor(CLIENTS) as pool:
            statuses = list(pool.map(me, range(3 * CLIENTS)))
    assert set(statuses) == {200}
