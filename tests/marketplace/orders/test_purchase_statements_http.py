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

# A purchase sends at most this many statements (BEGIN included, COMMIT not): 22 on SQLite,
# 21 on PostgreSQL (which sends no BEGIN); 40 and 37 before the second pass recorded in
# docs/orders.md, 30 and 27 before the third, 22 and 19 before the fifth (which locks and reads
# the journal head in one statement on SQLite too), 21 and 19 before a purchase checked that the
# listing's supplier is not suspended (one primary-key read, docs/identity.md), 21 and 20 before
# it share-locked the supplier's organisation first (docs/architecture.md, "Lock order").
STATEMENTS_PER_PURCHASE_MAX = 22


@contextmanager
def counted(engine: Engine) -> Iterator[list[tuple[str, int]]]:
    """The statements ``engine`` executes inside the block, in order, each with the number of
    parameter sets it was sent with (more than one for an ``executemany``)."""
    seen: list[tuple[str, int]] = []

    def count(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        seen.append((statement, len(parameters) if many else 1))

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
    assert len(statements) <= STATEMENTS_PER_PURCHASE_MAX, "\n".join(s for s, _ in statements)
    journal_rows = [
        n for s, n in statements if s.lstrip().upper().startswith("INSERT INTO JOURNAL_ENTRY")
    ]
    assert sum(journal_rows) == 4  # placed, held, paid, granted
    assert len(journal_rows) == 1  # written together (journal.batched)
    head_moves = [  # the head moved to the last entry (not SQLite's lock, which sets it to itself)
        s
        for s, _ in statements
        if " ".join(s.split()).upper().startswith("UPDATE JOURNAL_HEAD SET LAST_SEQ=")
        and "LAST_SEQ=JOURNAL_HEAD.LAST_SEQ" not in s.upper()
    ]
    assert len(head_moves) == 1
