"""``bourse order show`` lists a subscription's periods, each with what it charges."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.engine import Engine

from marketplace.client import Databourse
from tests.marketplace.cli.test_orders import base_url, buyer_cli, listing, ops, run
from tests.marketplace.client.conftest import listed, verified_supplier
from tests.marketplace.listings.helpers import TERMS
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


def test_the_buyer_opts_in_to_renewal_and_the_supplier_reports_usage(
    base_url: str, ops: Databourse, buyer_cli: Databourse, tmp_path: Path, engine: Engine
) -> None:
    monthly = {"kind": "subscription", "amount_minor": 40_000, "period": "month"}
    models = [
        monthly,
        {**monthly, "auto_renew": True},
        {"kind": "metered", "unit": "row", "unit_price_minor": 5, "cap_minor": 50_000},
    ]
    fund(engine, buyer_cli.identity.me().organization.id, 200_000)
    with verified_supplier(base_url, ops, "dora@supplier.test", "Dora Data") as supplier:
        for model in models:
            listing_id = supplier.listings.create(listed(supplier, ops, tmp_path), TERMS, model).id
            bought = run("buy", str(listing_id), "--purpose", "research", "--url", base_url)
            assert bought.exit_code == 0, bought.output
        metered, renewable, fixed = buyer_cli.orders.mine().items  # newest first

        refused = run("order", "renew", str(fixed.id), "--on", "--url", base_url)
        assert refused.exit_code == 1
        assert "does not renew" in refused.output
        on = run("order", "renew", str(renewable.id), "--on", "--url", base_url)
        assert on.exit_code == 0, on.output
        assert f"order {renewable.id} renews one period at a time" in on.output
        off = run("order", "renew", str(renewable.id), "--off", "--url", base_url)
        assert f"order {renewable.id} stops after the periods bought" in off.output

        # Usage is the supplier's to report: the buyer is refused, the supplier counted.
        refused = run("order", "usage", str(metered.id), "--units", "5", "--url", base_url)
        assert refused.exit_code == 1
        assert "not_order_supplier" in refused.output
        credentials = tmp_path / "config" / "credentials.json"
        credentials.write_text(json.dumps({base_url: supplier.token}))
        for _ in range(2):
            counted = run("order", "usage", str(metered.id), "--units", "120", "--url", base_url)
            assert counted.exit_code == 0, counted.output
        assert f"order {metered.id}, period 1: 240 units so far" in counted.output
        assert [p.units for p in supplier.orders.periods(metered.id)] == [240]
