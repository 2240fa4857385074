"""``bourse quote`` against a served exchange: a supplier sends a quote on a buyer's demand, the
buyer lists and accepts it; a refusal prints the exchange's code and exits 1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from eth_account import Account
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from marketplace.cli import app as cli
from marketplace.client import Databourse
from tests.marketplace.client.conftest import listed, verified_supplier
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange
from tests.marketplace.listings.helpers import offer


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        yield url


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config"
    path.mkdir()
    monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(path))
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _as(config: Path, base_url: str, client: Databourse) -> None:
    """The CLI acts as ``client`` from here on."""
    (config / "credentials.json").write_text(json.dumps({base_url: client.token}))


def test_a_supplier_sends_a_quote_and_the_buyer_lists_and_accepts_it(
    base_url: str, config: Path, tmp_path: Path
) -> None:
    with Databourse(base_url) as ops, Databourse(base_url) as buyer:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        buyer.identity.signup("bea@buyer.test", PASSWORD, organization="Bea", roles=["buyer"])
        ops.identity.verify_organization(buyer.identity.me().organization.id)
        supplier = verified_supplier(base_url, ops, "dora@supplier.test", "Dora Data")
        asset_id = listed(supplier, ops, tmp_path)
        listing_id = supplier._session.json("POST", "/listings", json=offer(asset_id))["id"]
        demand_id = buyer.demands.post(
            title="Fruit prices", purpose="research", budget_min_minor=1,
            budget_max_minor=500_000,
            deadline=(datetime.now(UTC) + timedelta(days=5)).isoformat(),
        ).id  # fmt: skip

        _as(config, base_url, supplier)
        sent = run("quote", "send", str(demand_id), "--listing", str(listing_id),
                   "--price", "1234.56", "--valid-days", "3", "--url", base_url)  # fmt: skip
        assert sent.exit_code == 0, sent.output
        assert "offered" in sent.output
        assert "1,234.56 CNY" in sent.output
        (quote,) = supplier.quotes.for_demand(demand_id).items
        assert sent.output.splitlines()[-1] == str(quote.id)
        refused = run("quote", "send", str(demand_id), "--listing", str(listing_id),
                      "--price", "0", "--url", base_url)  # fmt: skip
        assert refused.exit_code == 2
        assert "not a positive amount" in refused.output

        _as(config, base_url, buyer)
        listed_out = run("quote", "list", str(demand_id), "--url", base_url)
        assert listed_out.exit_code == 0, listed_out.output
        assert str(quote.id) in listed_out.output
        accepted = run("quote", "accept", str(quote.id), "--url", base_url)
        assert accepted.exit_code == 0, accepted.output
        assert "accepted" in accepted.output
        assert accepted.output.splitlines()[-1] == str(supplier.quotes.get(quote.id).order_id)
        again = run("quote", "accept", str(quote.id), "--url", base_url)
        assert again.exit_code == 1
        assert "quote_state" in again.output

        _as(config, base_url, supplier)
        late = run("quote", "withdraw", str(quote.id), "--url", base_url)
        assert late.exit_code == 1
        assert "quote_state" in late.output
        supplier.close()


def test_a_self_custody_buyer_accepts_a_quote_signing_the_order_with_its_own_key(
    base_url: str, config: Path, tmp_path: Path
) -> None:
    wallet = Account.create()
    with Databourse(base_url) as ops, Databourse(base_url) as own:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        own.identity.login_siwe(wallet.key, organization="Own Keys Ltd", roles=["buyer"])
        ops.identity.verify_organization(own.identity.me().organization.id)
        supplier = verified_supplier(base_url, ops, "dora@supplier.test", "Dora Data")
        asset_id = listed(supplier, ops, tmp_path)
        listing_id = supplier._session.json("POST", "/listings", json=offer(asset_id))["id"]
        demand_id = own.demands.post(
            title="Fruit prices", purpose="research", budget_min_minor=1,
            budget_max_minor=500_000,
            deadline=(datetime.now(UTC) + timedelta(days=5)).isoformat(),
        ).id  # fmt: skip
        quote = supplier.quotes.send(
            demand_id, listing_id=listing_id, price_minor=66_000,
            valid_until=datetime.now(UTC) + timedelta(days=3),
        )  # fmt: skip
        _as(config, base_url, own)

        unsigned = run("quote", "accept", str(quote.id), "--url", base_url)
        assert unsigned.exit_code == 1, unsigned.output
        assert own.quotes.get(quote.id).status == "offered"
        bad_key = CliRunner().invoke(
            cli, ["quote", "accept", str(quote.id), "--url", base_url],
            env={"DATABOURSE_PRIVATE_KEY": "0x1234"},
        )  # fmt: skip
        assert bad_key.exit_code == 2
        assert "0x1234" not in bad_key.output

        accepted = CliRunner().invoke(
            cli, ["quote", "accept", str(quote.id), "--url", base_url],
            env={"DATABOURSE_PRIVATE_KEY": wallet.key.hex(), "COLUMNS": "200"},
        )  # fmt: skip
        assert accepted.exit_code == 0, accepted.output
        assert "660.00 CNY" in accepted.output
        order_id = own.quotes.get(quote.id).order_id
        assert order_id is not None
        assert accepted.output.splitlines()[-1] == str(order_id)
        order = own.orders.get(order_id)
        assert order.buyer_signature.signer == wallet.address
        assert (order.price_minor, order.source, order.source_id) == (66_000, "quote", quote.id)
        supplier.close()
