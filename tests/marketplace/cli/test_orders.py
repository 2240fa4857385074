"""``bourse buy``, ``bourse accept`` and ``bourse order …`` against a served exchange: a buyer
places, shows, lists and cancels; buys (pays), has it delivered and accepts it, settled; a
purpose the terms do not permit, or a balance short of the price, ends the command with the
exchange's reason and nothing ordered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner, Result

from ledger.models import as_utc
from marketplace.cli import app as cli
from marketplace.client import Databourse
from marketplace.orders.models import Order
from tests.marketplace.client.conftest import listed, verified_supplier
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange
from tests.marketplace.listings.helpers import TERMS, offer
from tests.marketplace.orders.helpers import PRICE_MINOR, PUBLIC_DATA
from tests.marketplace.orders.money import balance, deliver, fund

WINDOW_H = int(TERMS["dispute_window_h"])  # the listing helpers' terms: the order's window


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        yield url


@pytest.fixture
def ops(base_url: str) -> Iterator[Databourse]:
    with Databourse(base_url) as client:
        client.identity.login(OPERATOR_EMAIL, PASSWORD)
        yield client


def listing(base_url: str, ops: Databourse, tmp_path: Path, **overrides: object) -> int:
    with verified_supplier(base_url, ops, "dora@supplier.test", "Dora Data") as supplier:
        asset_id = listed(supplier, ops, tmp_path)
        r = httpx.post(
            f"{base_url}/listings",
            json=offer(asset_id, **overrides),
            headers={"Authorization": f"Bearer {supplier.token}"},
        )
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


@pytest.fixture
def buyer_cli(
    base_url: str, ops: Databourse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Databourse]:
    """A verified buyer, logged in for the CLI too."""
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(config))
    with Databourse(base_url) as client:
        client.identity.signup(
            "carol@buyer.test", PASSWORD, organization="Carol Analytics", roles=["buyer"]
        )
        ops.identity.verify_organization(client.identity.me().organization.id)
        (config / "credentials.json").write_text(json.dumps({base_url: client.token}))
        yield client


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})


def test_a_buyer_buys_shows_lists_and_cancels(
    base_url: str, ops: Databourse, buyer_cli: Databourse, tmp_path: Path
) -> None:
    listing_id = listing(base_url, ops, tmp_path)
    bought = run("buy", str(listing_id), "--purpose", "research", "--place-only", "--url", base_url)
    assert bought.exit_code == 0, bought.output
    (order,) = buyer_cli.orders.mine().items
    assert f"order {order.id}: placed" in bought.output
    assert "price: 1,250.00 CNY (listing)" in bought.output
    assert bought.output.splitlines()[-1] == str(order.id)

    shown = run("order", "show", str(order.id), "--url", base_url)
    assert shown.exit_code == 0, shown.output
    assert f"signed by {order.buyer_signature.signer}" in shown.output
    listed_out = run("order", "list", "--url", base_url)
    assert listed_out.exit_code == 0, listed_out.output
    assert "research" in listed_out.output
    cancelled = run("order", "cancel", str(order.id), "--url", base_url)
    assert cancelled.exit_code == 0, cancelled.output
    assert f"order {order.id} is cancelled" in cancelled.output
    assert buyer_cli.orders.get(order.id).status == "cancelled"


def _settled_earlier(engine: Engine, order_id: int, by: timedelta) -> None:
    """The order as if it had settled ``by`` earlier."""
    with Session(engine) as session, session.begin():
        order = session.get(Order, order_id)
        assert order is not None
        assert order.settled_at is not None
        order.settled_at -= by


def test_a_buyer_buys_pays_and_accepts_and_the_order_settles(
    base_url: str, ops: Databourse, buyer_cli: Databourse, tmp_path: Path, engine: Engine
) -> None:
    listing_id = listing(base_url, ops, tmp_path)
    buyer_org = buyer_cli.identity.me().organization.id
    short = run("buy", str(listing_id), "--purpose", "research", "--url", base_url)
    assert short.exit_code == 1
    assert "insufficient_funds" in short.output
    assert buyer_cli.orders.mine().items == []

    fund(engine, buyer_org, PRICE_MINOR)
    bought = run("buy", str(listing_id), "--purpose", "research", "--url", base_url)
    assert bought.exit_code == 0, bought.output
    (order,) = buyer_cli.orders.mine().items
    assert f"order {order.id}: paid" in bought.output
    assert "exchange fee 31.25 CNY, the supplier receives 1,218.75 CNY" in bought.output
    assert balance(engine, buyer_org) == (0, PRICE_MINOR)

    deliver(engine, order.id)
    shown = run("order", "show", str(order.id), "--url", base_url)
    assert f"bourse accept {order.id}" in shown.output
    accepted = run("accept", str(order.id), "--url", base_url)
    assert accepted.exit_code == 0, accepted.output
    assert f"order {order.id}: settled" in accepted.output
    assert "1,218.75 CNY released to the supplier, exchange fee 31.25 CNY" in accepted.output
    assert "held in escrow" not in accepted.output
    settled = buyer_cli.orders.get(order.id)
    assert settled.settled_at is not None
    assert settled.dispute_closes_at == as_utc(settled.settled_at) + timedelta(hours=WINDOW_H)
    closes = f"{settled.dispute_closes_at:%Y-%m-%d %H:%M:%S} UTC"
    assert f"disputes may be raised until {closes}" in accepted.output
    assert balance(engine, buyer_org) == (0, 0)
    _settled_earlier(engine, order.id, timedelta(hours=WINDOW_H))
    passed = buyer_cli.orders.get(order.id).dispute_closes_at
    assert passed is not None
    shown = run("order", "show", str(order.id), "--url", base_url)
    assert f"the dispute window closed on {passed:%Y-%m-%d %H:%M:%S} UTC" in shown.output
    again = run("accept", str(order.id), "--url", base_url)
    assert again.exit_code == 1
    assert "cannot accept an order that is settled" in again.output


def test_a_purpose_the_terms_do_not_permit_ends_the_command_with_the_reason(
    base_url: str, ops: Databourse, buyer_cli: Databourse, tmp_path: Path
) -> None:
    listing_id = listing(base_url, ops, tmp_path)
    refused = run("buy", str(listing_id), "--purpose", "commercial", "--url", base_url)
    assert refused.exit_code == 1
    assert "purpose_not_permitted" in refused.output
    assert "does not permit commercial use" in refused.output
    assert buyer_cli.orders.mine().items == []


def test_the_supplier_reads_revenue(base_url: str, ops: Databourse, tmp_path: Path) -> None:
    listing_id = listing(base_url, ops, tmp_path, price_model=PUBLIC_DATA)
    with Databourse(base_url) as supplier:
        supplier.identity.login("dora@supplier.test", PASSWORD)
        config = tmp_path / "supplier-config"
        config.mkdir()
        (config / "credentials.json").write_text(json.dumps({base_url: supplier.token}))
    result = CliRunner().invoke(
        cli, ["order", "revenue", str(listing_id), "--url", base_url],
        env={"COLUMNS": "200", "DATABOURSE_CONFIG_DIR": str(config)},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "price 1,050.00 CNY, ceiling 1,100.00 CNY" in result.output
    assert "0 orders" in result.output
    assert "in escrow are not counted" in result.output


def test_the_buyer_rechecks_the_file_and_attaches_the_signed_check(
    base_url: str, ops: Databourse, buyer_cli: Databourse, tmp_path: Path, engine: Engine
) -> None:
    listing_id = listing(base_url, ops, tmp_path)
    asset_id = buyer_cli.listings.get(listing_id).asset_id
    fund(engine, buyer_cli.identity.me().organization.id, PRICE_MINOR)
    order = buyer_cli.orders.buy(listing_id, purpose="research")
    deliver(engine, order.id)
    received = tmp_path / "prices.csv"  # the bytes the supplier uploaded

    alone = run("quality", "check", str(received), "--order", str(order.id), "--url", base_url)
    assert alone.exit_code == 2
    assert "--order needs --asset" in alone.output
    args = ["quality", "check", str(received), "--asset", str(asset_id)]
    checked = run(*args, "--order", str(order.id), "--url", base_url)
    assert checked.exit_code == 0, checked.output
    (check,) = buyer_cli.orders.get(order.id).quality_checks
    assert f"quality check {check.id} attached to order {order.id}: matches" in checked.output
    assert check.verdict == "matches"
    assert f"journal entry {check.journal_seq} (order.quality_checked)" in checked.output
    twice = run(*args, "--order", str(order.id), "--url", base_url)
    assert twice.exit_code == 1
    assert "quality_check_exists" in twice.output


def test_buy_with_a_max_price_pays_only_within_it(
    base_url: str, ops: Databourse, buyer_cli: Databourse, tmp_path: Path, engine: Engine
) -> None:
    listing_id = listing(base_url, ops, tmp_path)  # 1,250.00 CNY
    buyer_org = buyer_cli.identity.me().organization.id
    fund(engine, buyer_org, PRICE_MINOR)
    over = run("buy", str(listing_id), "--purpose", "research", "--max-price", "1249.99",
               "--url", base_url)  # fmt: skip
    assert over.exit_code == 1
    said = " ".join(over.output.split())
    assert "costs 1,250.00 CNY, more than your --max-price 1,249.99 CNY" in said
    assert "nothing was paid" in said
    assert [o.status for o in buyer_cli.orders.mine().items] == ["cancelled"]
    assert balance(engine, buyer_org) == (PRICE_MINOR, 0)

    bad = run("buy", str(listing_id), "--purpose", "research", "--max-price", "1250.001",
              "--url", base_url)  # fmt: skip
    assert bad.exit_code == 2
    assert "more than 2 decimals" in bad.output
    assert len(buyer_cli.orders.mine().items) == 1  # nothing placed

    within = run("buy", str(listing_id), "--purpose", "research", "--max-price", "1250 CNY",
                 "--url", base_url)  # fmt: skip
    assert within.exit_code == 0, within.output
    assert "paid" in within.output
    assert balance(engine, buyer_org) == (0, PRICE_MINOR)
