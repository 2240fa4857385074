"""``bourse order show`` lists a subscription's periods, each with what it charges."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from marketplace.client import Databourse
from tests.marketplace.cli.test_orders import base_url, buyer_cli, listing, ops, run
from tests.marketplace.orders.money import fund

__all__ = ["base_url", "buyer_cli", "ops"]  # the fixtures this module uses


def test_order_show_lists_the_periods_of_a_subscription(
    base_url: str, ops: Databourse, buyer_cli: Databourse, tmp_path: Path, engine: Engine
) -> None:
    monthly = {"kind": "subscription", "amount_minor": 40_000, "period": "month"}
    listing_id = listing(base_url, ops, tmp_path, price_model=monthly)
    fund(engine, buyer_cli.identity.me().organization.id, 120_000)
    bought = run(
        "buy", str(listing_id), "--purpose", "research", "--quantity", "3", "--url", base_url
    )
    assert bought.exit_code == 0, bought.output
    (order,) = buyer_cli.orders.mine().items
    assert order.price_minor == 120_000
    (first,) = buyer_cli.orders.periods(order.id)
    assert (first.number, first.status, first.amount_minor) == (1, "held", 40_000)

    shown = run("order", "show", str(order.id), "--url", base_url)
    assert shown.exit_code == 0, shown.output
    assert "charged per period" in shown.output
    row = next(line for line in shown.output.splitlines() if "│ 1 " in line)
    assert "held" in row
    assert "400.00 CNY" in row
    assert "10.00 CNY" in row
