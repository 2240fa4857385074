"""How many SQL statements one purchase (``POST /orders/purchase``) sends to the database: the
claim of its key, the order, the escrow hold, the licence, their journal entries and the stored
answer. A behaviour bound, not a timing: a change that makes a purchase read the same rows again
or write a row twice shows here (docs/orders.md, "Performance")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import PRICE_MINOR, keyed, on_sale
from tests.marketplace.orders.money import balance, fund, reconciled

# A purchase sends at most this many statements (BEGIN included, COMMIT not): 30 on SQLite,
# 27 on PostgreSQL (which sends no BEGIN and locks the journal head in one statement); 40 and
# 37 before the work recorded in docs/orders.md.
STATEMENTS_PER_PURCHASE_MAX = 30


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    """The statements ``engine`` executes inside the block, in order."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_purchase_sends_a_bounded_number_of_statements(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine = asset_runtime.engine
    fund(engine, buyer.organization_id, 2 * PRICE_MINOR)
    listing = on_sale(api, supplier, ops)
    body = {"listing_id": listing["id"], "purpose": "research"}
    first = api.post("/orders/purchase", json=body, headers=keyed(buyer.headers))
    assert first.status_code == 201, first.text  # opens the accounts a purchase uses
    with counted(engine) as statements:
        r = api.post("/orders/purchase", json=body, headers=keyed(buyer.headers))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "paid"
    assert balance(engine, buyer.organization_id) == (0, 2 * PRICE_MINOR)
    assert reconciled(engine)
    assert len(statements) <= STATEMENTS_PER_PURCHASE_MAX, "\n".join(statements)
    assert sum(s.lstrip().upper().startswith("INSERT INTO JOURNAL_ENTRY") for s in statements) == 4
