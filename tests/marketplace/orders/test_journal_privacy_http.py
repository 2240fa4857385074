"""The public journal shows no trade's amounts (docs/decisions.md, "What the public journal
shows of a trade"): every entry a purchase, its acceptance and settlement, a subscription's
periods and metered usage write is read from ``GET /ledger/entries`` (no login) and holds no
key naming an amount, price, fee or budget, nor any of the amounts that moved; the parties
still read them in their own views."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from marketplace.orders.settlement_job import run_once
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import PRICE_MINOR, keyed, on_sale
from tests.marketplace.orders.money import deliver, fund, reconciled
from tests.marketplace.orders.test_periods import METERED, MONTHLY, PER_PERIOD, PERIOD_FEE
from tests.marketplace.orders.test_settlement_http import FEE, purchase

_WORDS = ("amount", "price", "fee", "budget")
#: What moved: the price, fee and payout of the purchase, a period's, and the metered charge.
METERED_CHARGE = 30 * METERED["unit_price_minor"]  # 3,000, under the cap
_MOVED = {PRICE_MINOR, FEE, PRICE_MINOR - FEE, PER_PERIOD, PERIOD_FEE, PER_PERIOD - PERIOD_FEE}
_MOVED |= {METERED_CHARGE, 2 * PER_PERIOD}
_SHOWN = {str(m) for m in _MOVED}  # as a number or a decimal string


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(key path, value) of each key and leaf in a payload."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield f"{path}.{key}", key
            yield from _leaves(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _leaves(inner, f"{path}[{index}]")
    else:
        yield path, value


def _public_entries(api: TestClient, after_seq: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        r = api.get("/ledger/entries", params={"after_seq": after_seq, "limit": 100})
        assert r.status_code == 200, r.text
        page = r.json()
        found += page["items"]
        if not page["items"] or page.get("next_after_seq") is None:
            return found
        after_seq = page["next_after_seq"]


def _last_seq(api: TestClient) -> int:
    entries = _public_entries(api, 0)
    return int(entries[-1]["seq"]) if entries else 0


def _periods(api: TestClient, who: Party, order_id: int) -> list[dict[str, Any]]:
    r = api.get(f"/orders/{order_id}/periods", headers=who.headers)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


def test_no_journal_entry_of_a_trade_shows_an_amount(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    engine, settings = asset_runtime.engine, asset_runtime.settings
    fund(engine, buyer.organization_id, 500_000)
    fixed = on_sale(api, supplier, ops)
    monthly = on_sale(api, supplier, ops, price_model=MONTHLY)
    metered = on_sale(api, supplier, ops, price_model=METERED)
    start = _last_seq(api)  # listings are public offers: what follows is the trades'

    # A purchase, delivered, accepted and settled.
    bought = purchase(api, buyer, fixed["id"]).json()
    deliver(engine, bought["id"])
    r = api.post(f"/orders/{bought['id']}/accept", headers=keyed(buyer.headers))
    assert (r.status_code, r.json()["status"]) == (200, "settled"), r.text

    # A subscription for two periods, each charged and settled by the job.
    sub = purchase(api, buyer, monthly["id"], quantity=2).json()
    deliver(engine, sub["id"])
    for number in (1, 2):
        end = datetime.fromisoformat(_periods(api, buyer, sub["id"])[number - 1]["ends_at"])
        run_once(engine, settings, now=end)

    # Metered usage, charged at the period's end.
    use = purchase(api, buyer, metered["id"]).json()
    r = api.post(f"/orders/{use['id']}/usage", json={"units": 30}, headers=keyed(supplier.headers))
    assert r.status_code == 200, r.text
    run_once(engine, settings, now=datetime.fromisoformat(r.json()["ends_at"]))

    # The parties see what moved.
    shown = api.get(f"/orders/{bought['id']}", headers=buyer.headers).json()
    assert (shown["price_minor"], shown["fee_minor"]) == (PRICE_MINOR, FEE)
    assert [(p["status"], p["amount_minor"]) for p in _periods(api, supplier, sub["id"])] == [
        ("settled", PER_PERIOD),
        ("settled", PER_PERIOD),
    ]
    assert _periods(api, buyer, use["id"])[0]["amount_minor"] == METERED_CHARGE
    assert api.get(f"/orders/{sub['id']}", headers=buyer.headers).json()["status"] == "settled"
    assert reconciled(engine)

    # The public does not.
    written = _public_entries(api, start)
    kinds = {e["kind"] for e in written}
    assert {"order.paid", "order.settled", "period.charged", "period.settled"} <= kinds
    assert {"usage.recorded", "escrow.held", "settlement.released"} <= kinds
    for entry in written:
        for path, value in _leaves(entry["payload"]):
            where = f"{entry['kind']} (seq {entry['seq']}) {path}"
            if isinstance(value, str) and path.endswith(f".{value}"):
                assert not any(word in value.lower() for word in _WORDS), where
            assert str(value) not in _SHOWN, where
