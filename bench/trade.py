"""Trade benchmark: purchases per second through the HTTP API, as a ratio to a minimal FastAPI
endpoint that inserts one row with SQLModel, both served by uvicorn on this machine in this run.

    .venv/bin/python bench/trade.py [--database-url URL] [--count N] [--clients C]

A purchase is the fullest one the API serves, and the output says which it measured:

- ``POST /orders/purchase`` where served: place and pay in one transaction (the key claimed, the
  listing priced, the custodial buyer's EIP-712 signature made and checked, the order, the
  escrow hold's pending transfer, their journal entries, the answer stored with the key); the
  buyer first deposits enough (``POST /books/deposits``, or straight into the books);
- else ``POST /orders`` then ``POST /orders/{id}/pay`` where pay is served;
- else ``POST /orders`` alone (the order and its ``order.placed`` entry; no escrow yet).

Every request carries a new ``Idempotency-Key``.

Both servers see the same load: ``--clients`` threads, each sending its requests one after the
other, ``--count`` requests in all per round, rounds alternating baseline and trade (the machine
is shared: alternating spreads its noise over both). Prints the throughput of each, their ratio
(target >= 0.5), each one's p50 and p99 latency, and the CPU time each request took (this
process's, servers and clients together) with the load average, since on a shared machine wall
time counts the wait for a core. The default run takes about a minute.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel

from marketplace.app import create_app
from marketplace.process import freeze_startup_objects
from marketplace.runtime import Runtime
from tests.conftest import scratch_database, settings_for
from tests.marketplace.assets.helpers import operator, party, verify
from tests.marketplace.identity.helpers import CHAIN_ID, serving
from tests.marketplace.orders.helpers import PRICE_MINOR, on_sale

ROUNDS = 4  # two of each, alternating
WARM_UP = 10
PAY_PATH = "/orders/{order_id}/pay"
PURCHASE_PATH = "/orders/purchase"
DEPOSIT_PATH = "/books/deposits"


class BenchRow(SQLModel, table=True):
    """The baseline's one row: about the size of an order's business fields."""

    __tablename__ = "bench_trade_row"
    id: int | None = Field(default=None, primary_key=True)
    listing_id: int
    purpose: str
    quantity: int


class RowIn(BaseModel):
    listing_id: int
    purpose: str
    quantity: int = 1


def baseline_app(engine: Engine) -> FastAPI:
    """The minimal endpoint: validate a body, insert one row with SQLModel, commit, answer."""
    app = FastAPI()

    @app.post("/rows", status_code=201)
    def insert(body: RowIn) -> BenchRow:
        with Session(engine, expire_on_commit=False) as session:
            row = BenchRow(**body.model_dump())
            session.add(row)
            session.commit()
            return row

    return app


@dataclass
class Load:
    """Latencies of the requests one side sent, and the time they took in all."""

    latencies_s: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    cpu_s: float = 0.0  # this process's CPU time (servers and clients) while this side ran
    failures: int = 0

    @property
    def cpu_ms_each(self) -> float:
        return self.cpu_s / len(self.latencies_s) * 1000

    @property
    def per_s(self) -> float:
        return len(self.latencies_s) / self.elapsed_s

    def quantile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def drive(
    send: Callable[[httpx.Client], bool], url: str, count: int, clients: int, load: Load
) -> None:
    """``count`` calls of ``send`` from ``clients`` threads; each call is one operation, timed."""
    lock = threading.Lock()
    left = [count]

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while True:
                with lock:
                    if left[0] == 0:
                        return
                    left[0] -= 1
                started = time.perf_counter()
                ok = send(http)
                took = time.perf_counter() - started
                with lock:
                    load.latencies_s.append(took)
                    load.failures += 0 if ok else 1

    started, cpu_started = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(clients) as pool:
        for f in [pool.submit(worker) for _ in range(clients)]:
            f.result()
    load.elapsed_s += time.perf_counter() - started
    load.cpu_s += time.process_time() - cpu_started


@dataclass(frozen=True)
class Exchange:
    """The exchange under test: its app, what a purchase is there, and who buys what."""

    app: FastAPI
    engine: Engine
    kind: str  # purchase | pay | place
    buyer_headers: dict[str, str]
    listing_id: int


def _paths(routes: Iterable[Any]) -> Iterator[str]:
    """Every route's path, those of FastAPI's lazily included routers too."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _paths(included.routes)
        if isinstance(getattr(route, "path", None), str):
            yield route.path


def exchange(engine: Engine, tmp: Path, count: int) -> Exchange:
    """On a migrated database, a verified supplier with a fixed-price listing on sale and a
    verified buyer (with the money for every purchase, where purchases pay)."""
    SQLModel.metadata.tables[BenchRow.__tablename__].create(engine, checkfirst=True)
    settings = settings_for(engine, blob_url=f"file://{tmp / 'blobs'}")
    runtime = Runtime(settings=settings, engine=engine)
    runtime.chain_id = CHAIN_ID
    app = create_app(runtime=runtime)
    served = set(_paths(app.routes))
    kind = "purchase" if PURCHASE_PATH in served else "pay" if PAY_PATH in served else "place"
    with TestClient(app) as api:
        ops = operator(api, runtime)
        supplier = party(api, "sam@supplier.test", "Sam Supply", ["supplier"])
        buyer = party(api, "bea@buyer.test", "Bea Buys", ["buyer"])
        verify(api, ops, supplier)
        verify(api, ops, buyer)
        listing = on_sale(api, supplier, ops)
        amount_minor = PRICE_MINOR * (count + 100)
        if kind != "place" and DEPOSIT_PATH in served:
            r = api.post(
                DEPOSIT_PATH,
                json={"amount_minor": amount_minor},
                headers={**buyer.headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            assert r.status_code == 201, r.text
        elif kind != "place":  # no deposit route: straight through the books, as tests do
            from tests.marketplace.orders.money import fund

            fund(engine, buyer.organization_id, amount_minor)
    return Exchange(app, engine, kind, buyer.headers, int(listing["id"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=None,
        help="SQLite file in a temp dir by default; on PostgreSQL, a schema of its own there",
    )
    parser.add_argument("--count", type=int, default=300, help="requests per side (300)")
    parser.add_argument("--clients", type=int, default=4, help="client threads (4)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    with scratch_database(args.database_url, tmp) as engine:
        run(exchange(engine, tmp, args.count), args.count, args.clients)


def run(ex: Exchange, count: int, clients: int) -> None:
    order_body = {"listing_id": ex.listing_id, "purpose": "research"}
    row_body = {**order_body, "quantity": 1}

    def keyed() -> dict[str, str]:
        return {**ex.buyer_headers, "Idempotency-Key": uuid.uuid4().hex}

    def purchase(http: httpx.Client) -> bool:
        if ex.kind == "purchase":
            return http.post(PURCHASE_PATH, json=order_body, headers=keyed()).status_code == 201
        r = http.post("/orders", json=order_body, headers=keyed())
        if r.status_code != 201:
            return False
        if ex.kind == "pay":
            r = http.post(PAY_PATH.format(order_id=r.json()["id"]), headers=keyed())
        return r.is_success

    def insert(http: httpx.Client) -> bool:
        return http.post("/rows", json=row_body).status_code == 201

    freeze_startup_objects()  # as ``bourse serve`` does before it serves
    trade, base = Load(), Load()
    load_before = os.getloadavg()[0]
    per_round = max(1, count // (ROUNDS // 2))
    with serving(ex.app) as market, serving(baseline_app(ex.engine)) as minimal:
        drive(purchase, market.url, WARM_UP, clients, Load())
        drive(insert, minimal.url, WARM_UP, clients, Load())
        for n in range(ROUNDS):
            if n % 2 == 0:
                drive(insert, minimal.url, per_round, clients, base)
            else:
                drive(purchase, market.url, per_round, clients, trade)
    report(ex, clients, base, trade, (load_before, os.getloadavg()[0]))


def report(
    ex: Exchange, clients: int, base: Load, trade: Load, load_avg: tuple[float, float]
) -> None:
    what = {
        "purchase": f"POST {PURCHASE_PATH}: order placed and paid into escrow, one transaction",
        "pay": f"POST /orders, then POST {PAY_PATH}: order placed, then paid into escrow",
        "place": "POST /orders only: order placed, no escrow (no pay route served yet)",
    }[ex.kind]
    print(
        f"database: {ex.engine.url.get_backend_name()}; {clients} client threads; "
        f"load average {load_avg[0]:.1f} -> {load_avg[1]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"purchase measured: {what}")
    print(
        f"baseline (insert one row with SQLModel): {base.per_s:.0f}/s, "
        f"p50 {base.quantile_ms(0.5):.1f} ms, p99 {base.quantile_ms(0.99):.1f} ms"
    )
    print(
        f"purchases through the API: {trade.per_s:.0f}/s, "
        f"p50 {trade.quantile_ms(0.5):.1f} ms, p99 {trade.quantile_ms(0.99):.1f} ms"
        + (f", {trade.failures} failed" if trade.failures else "")
    )
    print(f"ratio purchases/baseline: {trade.per_s / base.per_s:.2f} (target >= 0.5)")
    # On a shared machine wall time counts the wait for a core; CPU time much less so.
    print(
        f"CPU per request (this process, servers and clients): baseline "
        f"{base.cpu_ms_each:.1f} ms, purchase {trade.cpu_ms_each:.1f} ms; "
        f"ratio by CPU {base.cpu_ms_each / trade.cpu_ms_each:.2f}"
    )


if __name__ == "__main__":
    main()
