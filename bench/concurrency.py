"""Concurrency benchmark: how much a flood of failed logins, and uploads with reads, slow the
other requests of a real server. Prints figures measured in one run on this machine.

    .venv/bin/python bench/concurrency.py [--database-url URL] [--seconds S]

- the median and worst ``GET /me`` time when idle, and their ratios under 16 threads of failed
  logins (password hashing is bounded: the excess is answered 429 at once);
- the worst ``GET /health`` time, and the answers by status, under two streaming uploads to one
  draft while four threads read its reviews.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.runtime import Runtime
from tests.conftest import scratch_database, settings_for
from tests.marketplace.assets.helpers import create, operator, party, verify
from tests.marketplace.identity.helpers import CHAIN_ID, serving

ATTACKERS = 16
T = TypeVar("T")


def _times(http: httpx.Client, path: str, headers: dict[str, str], seconds: float) -> list[float]:
    times: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        http.get(path, headers=headers)
        times.append(time.monotonic() - started)
    return times


def _while(load: Callable[[threading.Event], None], workers: int, measure: Callable[[], T]) -> T:
    stop = threading.Event()
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(load, stop) for _ in range(workers)]
        try:
            return measure()
        finally:
            stop.set()
            for f in futures:
                f.result()


def _csv() -> Iterator[bytes]:
    yield b"id,sensor,reading\n"
    for start in range(0, 200_000, 1000):
        yield b"".join(b"%d,s-%d,%d.5\n" % (i, i % 7, i) for i in range(start, start + 1000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    with scratch_database(args.database_url, tmp) as engine:
        measure(engine, tmp, args.seconds)


def measure(engine: Engine, tmp: Path, seconds: float) -> None:
    settings = settings_for(engine, blob_url=f"file://{tmp / 'blobs'}")
    runtime = Runtime(settings=settings, engine=engine)
    runtime.chain_id = CHAIN_ID
    app = create_app(runtime=runtime)
    with TestClient(app) as api:
        ops = operator(api, runtime)
        who = party(api, "bench@supplier.test", "Bench Data", ["supplier"])
        verify(api, ops, who)
        asset_id = create(api, who)["id"]
    limits = httpx.Limits(max_connections=64)
    with (
        serving(app) as served,
        httpx.Client(base_url=served.url, timeout=120, limits=limits) as http,
    ):
        idle = _times(http, "/me", who.headers, seconds)
        answers: Counter[int] = Counter()

        def attack(stop: threading.Event) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                body = {"email": f"victim{n}@example.org", "password": "wrong-guess-123"}
                answers[http.post("/auth/login", json=body).status_code] += 1

        flooded = _while(attack, ATTACKERS, lambda: _times(http, "/me", who.headers, seconds))
        median_s, worst_s = statistics.median(idle), max(idle)
        print(f"GET /me idle: median {median_s * 1000:.1f} ms, worst {worst_s * 1000:.1f} ms")
        print(
            f"under {ATTACKERS} threads of failed logins: GET /me median "
            f"x{statistics.median(flooded) / median_s:.1f}, worst x{max(flooded) / worst_s:.1f}; "
            f"login answers {dict(answers)}"
        )
        statuses: Counter[int] = Counter()

        def read(stop: threading.Event) -> None:
            while not stop.is_set():
                statuses[
                    http.get(f"/assets/{asset_id}/reviews", headers=who.headers).status_code
                ] += 1

        def uploads() -> list[float]:
            with ThreadPoolExecutor(2) as pool:
                puts = [
                    pool.submit(
                        http.put,
                        f"/upload/assets/{asset_id}/revisions",
                        params={"format": "csv"},
                        content=_csv(),
                        headers=who.headers,
                    )
                    for _ in range(2)
                ]
                health: list[float] = []
                while not all(p.done() for p in puts):
                    health += _times(http, "/health", {}, 0.001)
                for p in puts:
                    statuses[p.result().status_code] += 1
            return health

        health = _while(read, 4, uploads)
        print(
            f"two uploads and four readers: worst /health {max(health) * 1000:.0f} ms; "
            f"answers {dict(statuses)}"
        )


if __name__ == "__main__":
    main()
